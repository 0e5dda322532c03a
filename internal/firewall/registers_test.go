package firewall

import (
	"slices"
	"testing"
)

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

// The translators build their comparisons through Cmp and BE16: a port
// in network byte order, eq or neq.
func TestCmpBE16(t *testing.T) {
	if got := BE16(8080); len(got) != 2 || got[0] != 0x1f || got[1] != 0x90 {
		t.Errorf("BE16(8080) = % x, want 1f 90", got)
	}
	for _, tc := range []struct {
		neg bool
		op  string
	}{{false, "eq"}, {true, "neq"}} {
		e := Cmp(9, tc.neg, []byte{6})
		if e.Op != "cmp" || e.Cmp != tc.op || e.Sreg != 9 || len(e.Data) != 1 || e.Data[0] != 6 {
			t.Errorf("Cmp(9, %v, 06) = %+v, want cmp %s of register 9 with 06", tc.neg, e, tc.op)
		}
	}
}

// RangeOrCmp is a comparison when the range holds one value, else a range;
// neq in both when negated.
func TestRangeOrCmp(t *testing.T) {
	for _, tc := range []struct {
		lo, hi uint16
		neg    bool
		op     string
		cmp    string
	}{{22, 22, false, "cmp", "eq"}, {22, 22, true, "cmp", "neq"}, {1024, 65535, false, "range", "eq"}, {1024, 65535, true, "range", "neq"}} {
		e := RangeOrCmp(9, tc.neg, BE16(tc.lo), BE16(tc.hi))
		wantTo := BE16(tc.hi)
		if tc.op == "cmp" {
			wantTo = nil
		}
		if e.Op != tc.op || e.Cmp != tc.cmp || e.Sreg != 9 || string(e.Data) != string(BE16(tc.lo)) || string(e.To) != string(wantTo) {
			t.Errorf("RangeOrCmp(9, %v, %d, %d) = %+v, want %s %s of register 9", tc.neg, tc.lo, tc.hi, e, tc.op, tc.cmp)
		}
	}
}

// TestAddrTypes6: ip6tables' addrtype match as xt_addrtype's match_type6
// reads the type mask (the kernel-oracle case "ip6tables addrtype
// UNICAST" checks the same against real packets).
func TestAddrTypes6(t *testing.T) {
	const (
		unspec, unicast, local, anycast, multicast, throw = 1 << 0, 1 << 1, 1 << 2, 1 << 4, 1 << 5, 1 << 9
	)
	for _, tc := range []struct {
		name string
		mask uint32
		want []uint32
	}{
		{"UNICAST: any address but multicast and ::", unicast, []uint32{1, 2, 3, 4, 6, 7, 8, 9, 10, 11}},
		{"LOCAL", local, []uint32{2}},
		{"LOCAL,UNICAST: both hold for a local address", local | unicast, []uint32{2}},
		{"LOCAL,MULTICAST: both must hold", local | multicast, nil},
		{"LOCAL,ANYCAST: either", local | anycast, []uint32{2, 4}},
		{"MULTICAST", multicast, []uint32{5}},
		{"UNSPEC", unspec, []uint32{0}},
		{"THROW is not tested", throw, []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
	} {
		if got := AddrTypes6(tc.mask); !slices.Equal(got, tc.want) {
			t.Errorf("%s: AddrTypes6(%#x) = %v, want %v", tc.name, tc.mask, got, tc.want)
		}
	}
}
