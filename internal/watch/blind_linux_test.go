package watch

import (
	"errors"
	"strings"
	"testing"

	"github.com/openports/openports/internal/source/linux/procpriv"
)

// TestBlindReason: a /proc that does not list every process (another PID
// namespace; hidepid without CAP_SYS_PTRACE) gives the owner lookup a
// reason, so that a socket no listed process holds is unknown, not "no
// process"; so does a privilege probe that failed, which cannot tell;
// one that lists them all gives none. (The PID namespace on a
// real binary: cmd/openports TestWatchPolicyOwnerUnknown.)
func TestBlindReason(t *testing.T) {
	ptrace := uint64(1) << procpriv.CapSysPtrace
	for _, tt := range []struct {
		name string
		priv procpriv.Info
		err  error
		want string // substring; "" for no reason
	}{
		{"host /proc", procpriv.Info{CapEff: ptrace}, nil, ""},
		{"PID namespace", procpriv.Info{CapEff: ptrace, PIDNS: true}, nil, "PID namespace"},
		{"hidepid, unprivileged", procpriv.Info{HidePID: procpriv.HidePIDInvisible}, nil, "hidepid=invisible"},
		{"hidepid, CAP_SYS_PTRACE", procpriv.Info{HidePID: procpriv.HidePIDInvisible, CapEff: ptrace}, nil, ""},
		{"probe failed", procpriv.Info{EUID: -1}, errors.New("read self/status: permission denied"), "could not tell whether /proc lists every process: read self/status"},
	} {
		got := blindReason(tt.priv, tt.err)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
