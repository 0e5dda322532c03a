package finding

import (
	"testing"

	// golden registers -update: this package has no golden files, but
	// `go test ./... -update` must run here too.
	_ "github.com/openports/openports/internal/golden"
)

func TestWorst(t *testing.T) {
	tests := []struct {
		in   []Verdict
		want Verdict
	}{
		{nil, OK},
		{[]Verdict{OK, OK}, OK},
		{[]Verdict{OK, Warning, OK}, Warning},
		{[]Verdict{Problem, Warning}, Problem},
		{[]Verdict{Warning, Problem, OK}, Problem},
		{[]Verdict{"bogus"}, Problem},
	}
	for _, tt := range tests {
		var fs []Finding
		for _, v := range tt.in {
			fs = append(fs, Finding{Verdict: v})
		}
		if got := Worst(fs); got != tt.want {
			t.Errorf("Worst(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
