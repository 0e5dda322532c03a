package provenance

import (
	"fmt"
	"os"
	"testing"

	"github.com/openports/openports/internal/report"
)

func TestZZDebug(t *testing.T) {
	for _, c := range []struct{ dir, os string; procs []string }{
		{"testdata/netbsd", "netbsd", []string{"sshd", "named", "ntpd", "master", "smtpd", "mountd", "nfsd", "dhcpd", "rpcbind", "syslogd", "inetd", "jserver", "Xorg"}},
		{"testdata/netbsd-9", "netbsd", []string{"sshd", "master", "postgres", "ntpd", "rpcbind", "mountd"}},
		{"testdata/freebsd", "freebsd", []string{"sshd", "sendmail", "syslogd", "ntpd", "httpd", "local-unbound", "unbound", "inetd", "rpcbind"}},
		{"testdata/openbsd", "openbsd", []string{"sshd", "sendmail", "ntpd", "httpd", "inetd", "smtpd", "named", "dhcpd", "httpd2", "portmap", "spamlogd"}},
	} {
		r, err := New(os.DirFS(c.dir), c.os)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("==", c.dir, r.Kind(), r.Problems())
		for _, p := range c.procs {
			v := r.Resolve(&report.Row{Proto: "tcp", Port: 1}, &report.Process{PID: 1, Name: p})
			fmt.Printf("  %-10s %s/%s svc=%s ev=%v\n", p, v.Verdict, v.Reason, v.Service, v.Evidence)
		}
	}
}
