package knowledge

import "testing"

func TestLoadEmbedded(t *testing.T) {
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d entries, %d messages", len(b.Entries()), len(b.Messages()))
}
