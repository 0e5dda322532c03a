package analysis

import (
	"net/netip"
	"testing"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// The processes that hold a service's listening socket belong to the
// service: Postfix's smtpd children get master's verdict and evidence, a
// cgroup travels from the snapshot to the resolver, and a process with a
// verdict of its own keeps it.
func TestProvenanceSharedSocket(t *testing.T) {
	sock := snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("192.0.2.1:25"), State: snapshot.Listen,
		OwnerState: snapshot.OwnersComplete, Owners: []snapshot.Owner{
			{PID: 4663, Name: "smtpd", PPID: 29129},
			{PID: 29129, Name: "master", Cgroup: "/system.slice/postfix.service"},
			{PID: 15612, Name: "smtpd", PPID: 29129},
			{PID: 30000, Name: "helper"},
		}}
	master := report.Provenance{Verdict: report.ProvenanceDefault, Init: "rc.d", Service: "postfix", Reason: "defaults",
		Evidence: []report.Evidence{{File: "/etc/defaults/rc.conf", Line: 208, Text: "postfix=${_rc_d_postfix:-YES}"}}}
	var cgroups []string
	fn := func(_ snapshot.Proto, _ uint16, p snapshot.Owner) *snapshot.Provenance {
		cgroups = append(cgroups, p.Cgroup)
		switch p.Name {
		case "master":
			v := master
			return &v
		case "helper":
			return &report.Provenance{Verdict: report.ProvenanceEnabled, Reason: "rc.conf", Service: "helper"}
		}
		return &report.Provenance{Verdict: report.ProvenanceNotEnabled, Reason: "no-script"}
	}
	r := Build(&snapshot.Snapshot{Schema: 1, Sockets: []snapshot.Socket{sock}}, Options{Provenance: fn})
	if len(r.Rows) != 1 {
		t.Fatalf("%d rows", len(r.Rows))
	}
	for _, p := range r.Rows[0].Processes {
		want := "default postfix /etc/defaults/rc.conf:208 postfix=${_rc_d_postfix:-YES}"
		if p.Name == "helper" {
			want = "enabled helper "
		}
		got := p.Provenance.Verdict + " " + p.Provenance.Service + " "
		if len(p.Provenance.Evidence) > 0 {
			got += p.Provenance.Evidence[0].String()
		}
		if got != want {
			t.Errorf("%s (%d): %q, want %q", p.Name, p.PID, got, want)
		}
	}
	found := false
	for _, c := range cgroups {
		found = found || c == "/system.slice/postfix.service"
	}
	if !found {
		t.Errorf("the resolver never saw master's cgroup: %q", cgroups)
	}
	if n := r.Rows[0].Notes; len(n) == 0 || n[len(n)-1].Key != "provenance.default" {
		t.Errorf("notes %+v, want Postfix's provenance.default", n)
	}
}
