package linux

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
)

// A published port's target held by no namespace is said so only when
// every namespace was looked into; otherwise the snapshot has a gap and its
// container is unknown.
func TestPlaceTargetsUnplacedNeedsEveryNamespace(t *testing.T) {
	const self = 7
	target := netip.MustParseAddrPort("198.51.100.2:80")
	proc := t.TempDir()
	// Process 40's namespace cannot be entered: its ns is no directory.
	if err := os.MkdirAll(filepath.Join(proc, "40"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "40", "ns"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	own := []snapshot.Interface{{NetNS: self, Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}}}
	tests := []struct {
		name    string
		target  netip.AddrPort
		byNS    map[uint64][]int
		blind   error
		gap     bool
		placeAt uint64
	}{
		{name: "every namespace seen: none holds it", target: target, byNS: map[uint64][]int{self: {1}}},
		{name: "discovery incomplete", target: target, byNS: map[uint64][]int{self: {1}}, blind: errors.New("the network namespace of 2 processes could not be read"), gap: true},
		{name: "a namespace that cannot be entered", target: target, byNS: map[uint64][]int{self: {1}, 9: {40}}, gap: true},
		{name: "its processes gone: no namespace left", target: target, byNS: map[uint64][]int{self: {1}, 9: {41}}},
		{name: "placed in the own namespace despite a blind spot", target: netip.MustParseAddrPort("192.0.2.1:80"), byNS: map[uint64][]int{self: {1}}, blind: errors.New("x"), placeAt: self},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewWithInputs(source.Options{ProcRoot: proc}, Inputs{Interfaces: fakeIfs{ifs: map[int][]snapshot.Interface{-1: own}}})
			snap := &snapshot.Snapshot{Interfaces: own, Published: []snapshot.Published{{Proto: snapshot.TCP, Port: 8080, Target: tt.target}}}
			c.placeTargets(snap, self, tt.byNS, tt.blind)
			if got := snap.Published[0].TargetNetNS; got != tt.placeAt {
				t.Errorf("TargetNetNS %d, want %d", got, tt.placeAt)
			}
			var gaps []snapshot.Gap
			for _, g := range snap.Gaps {
				if g.Reason == "targets-unplaced" {
					gaps = append(gaps, g)
				}
			}
			if got := len(gaps) > 0; got != tt.gap {
				t.Fatalf("gap %v, want %v (gaps %+v)", got, tt.gap, snap.Gaps)
			}
			if tt.gap && (gaps[0].Area != "published" || gaps[0].Args["count"] != "1" || gaps[0].Args["error"] == "") {
				t.Errorf("gap %+v", gaps[0])
			}
		})
	}
}
