package analysis

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

// TestNoteSaysHowOwnersWereFound pins the row notes of joined owners and of
// ports the tool printed as names openports does not know.
func TestNoteSaysHowOwnersWereFound(t *testing.T) {
	complete := func(via string) snapshot.Socket {
		return snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("192.0.2.1:25"), State: snapshot.Listen,
			OwnerState: snapshot.OwnersComplete, Owners: []snapshot.Owner{{PID: 7, Name: "master", Via: via}}}
	}
	named := func(text string) snapshot.Socket {
		return snapshot.Socket{Proto: snapshot.UDP, Local: netip.AddrPortFrom(netip.IPv4Unspecified(), 0), PortText: text,
			State: snapshot.Unconnected, OwnerState: snapshot.OwnersUnknown, OwnerReason: "the tool output has no process column"}
	}
	tests := []struct {
		name   string
		method string
		socks  []snapshot.Socket
		rows   int
		notes  []string
	}{
		{"owner from the socket's own descriptors", "fstat", []snapshot.Socket{complete("")}, 1, []string{""}},
		{"owner joined by address", "fstat", []snapshot.Socket{complete(ViaAddress)}, 1,
			[]string{"owner.via-address[fstat]"}},
		{"owner joined by address, tool not named", "", []snapshot.Socket{complete(ViaAddress)}, 1,
			[]string{"owner.via-address[]"}},
		{"two unknown port names stay two rows", "", []snapshot.Socket{named("xserveraid"), named("pds")}, 2, []string{
			"owner.unknown[the tool output has no process column   ] port.printed[xserveraid]",
			"owner.unknown[the tool output has no process column   ] port.printed[pds]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Build(&snapshot.Snapshot{Schema: 1, OwnerMethod: snapshot.OwnerMethod(tt.method), Sockets: tt.socks}, Options{})
			if len(r.Rows) != tt.rows {
				t.Fatalf("%d rows, want %d: %+v", len(r.Rows), tt.rows, r.Rows)
			}
			for i, want := range tt.notes {
				var got []string
				for _, n := range r.Rows[i].Notes {
					got = append(got, n.Key+"["+strings.Join(n.Args, " ")+"]")
				}
				if strings.Join(got, " ") != want {
					t.Errorf("row %d notes = %q, want %q", i, strings.Join(got, " "), want)
				}
			}
		})
	}
}
