package main

import (
	"net/netip"
	"testing"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		name string
		p    Params
	}{
		{"small", Params{Listen: 50, UDP: 20, Conns: 200, Procs: 20, FDs: 50, Shared: 5, BasePort: 10000}},
		{"uneven", Params{Listen: 7, UDP: 3, Conns: 11, Procs: 4, FDs: 7, Shared: 1, BasePort: 10000}},
		{"one process", Params{Listen: 1, UDP: 0, Conns: 0, Procs: 1, FDs: 0, BasePort: 10000}},
		{"more procs than sockets", Params{Listen: 2, UDP: 1, Conns: 3, Procs: 10, FDs: 1, Shared: 10, BasePort: 2000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, err := Plan(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if len(hs) != tt.p.Procs {
				t.Fatalf("%d holders, want %d", len(hs), tt.p.Procs)
			}
			var listen, udp, conns, shared int
			seen := map[string]bool{}
			for i, h := range hs {
				listen += len(h.Listen)
				udp += len(h.UDP)
				conns += h.Conns
				if h.Shared {
					shared++
				}
				if other := h.FDCount() - len(h.Listen) - len(h.UDP) - 2*h.Conns; other != tt.p.FDs {
					t.Errorf("holder %d: %d other descriptors, want %d", i, other, tt.p.FDs)
				}
				for _, b := range h.Listen {
					k := "tcp " + b.Addr.String()
					if seen[k] {
						t.Errorf("%s planned twice", k)
					}
					seen[k] = true
				}
				for _, b := range h.UDP {
					k := "udp " + b.Addr.String()
					if seen[k] {
						t.Errorf("%s planned twice", k)
					}
					seen[k] = true
				}
			}
			if listen != tt.p.Listen || udp != tt.p.UDP || conns != tt.p.Conns || shared != tt.p.Shared {
				t.Errorf("planned listen %d udp %d conns %d shared %d, want %d %d %d %d",
					listen, udp, conns, shared, tt.p.Listen, tt.p.UDP, tt.p.Conns, tt.p.Shared)
			}
		})
	}
}

func TestPlanRejects(t *testing.T) {
	for _, p := range []Params{
		{Listen: 1, Procs: 0, BasePort: 10000},
		{Listen: -1, Procs: 1, BasePort: 10000},
		{Listen: 1, Procs: 2, Shared: 3, BasePort: 10000},
		{Listen: 1, Procs: 1, BasePort: 80},
		{Listen: 10000, Procs: 1, BasePort: 10000},
	} {
		if _, err := Plan(p); err == nil {
			t.Errorf("Plan(%+v) succeeded, want an error", p)
		}
	}
}

func TestBindForCoversEveryKind(t *testing.T) {
	want := map[string]bool{
		"0.0.0.0": false, "[::] dual": false, "[::] v6only": false, "127.0.0.1": false,
		"::1": false, specificV4.String(): false, specificV6.String(): false,
	}
	for i := range len(bindKinds) {
		b := bindFor(i, 10000)
		if got := int(b.Addr.Port()); got != 10000+i {
			t.Errorf("socket %d: port %d, want %d", i, got, 10000+i)
		}
		k := b.Addr.Addr().String()
		if b.Addr.Addr() == netip.IPv6Unspecified() {
			k = "[::] dual"
			if b.V6Only {
				k = "[::] v6only"
			}
		}
		if _, ok := want[k]; !ok {
			t.Errorf("socket %d: unexpected kind %q", i, k)
		}
		want[k] = true
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("kind %s never planned", k)
		}
	}
}
