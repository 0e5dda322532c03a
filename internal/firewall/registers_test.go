package firewall

import "testing"

// PrefixLen accepts only masks that are ones then zeros; Text and
// natrules both read a masked address as a prefix through it.
func TestPrefixLen(t *testing.T) {
	for _, tc := range []struct {
		mask []byte
		n    int
		ok   bool
	}{
		{[]byte{0xff, 0xff, 0xff, 0x00}, 24, true},
		{[]byte{0xff, 0xff, 0xf0, 0x00}, 20, true},
		{[]byte{0xff, 0xff, 0xff, 0xff}, 32, true},
		{[]byte{0x00, 0x00, 0x00, 0x00}, 0, true},
		{[]byte{0xff, 0x00, 0xff, 0x00}, 0, false}, // 255.0.255.0
		{[]byte{0xff, 0xff, 0xff, 0x01}, 0, false},
		{[]byte{0xf0, 0x0f}, 0, false},
		{[]byte{0xfe, 0x80}, 0, false},
	} {
		n, ok := PrefixLen(tc.mask)
		if n != tc.n || ok != tc.ok {
			t.Errorf("PrefixLen(% x) = %d, %v; want %d, %v", tc.mask, n, ok, tc.n, tc.ok)
		}
	}
}
