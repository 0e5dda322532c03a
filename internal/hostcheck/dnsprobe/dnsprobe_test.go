package dnsprobe

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	// golden registers -update: this package has no golden files, but
	// `go test ./... -update` must run here too.
	_ "github.com/openports/openports/internal/golden"
)

// server starts a DNS server on a loopback UDP port answering test.example
// with 192.0.2.80 and 2001:db8::80, and NXDOMAIN for everything else.
func server(t *testing.T, truncate bool) (netip.AddrPort, *atomic.Int32) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var queries atomic.Int32
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, r *dns.Msg) {
		queries.Add(1)
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		if q.Name != "test.example." {
			m.Rcode = dns.RcodeNameError
		} else if q.Qtype == dns.TypeA {
			rr, _ := dns.NewRR("test.example. 60 IN A 192.0.2.80")
			m.Answer = append(m.Answer, rr)
		} else if q.Qtype == dns.TypeAAAA {
			rr, _ := dns.NewRR("test.example. 60 IN AAAA 2001:db8::80")
			m.Answer = append(m.Answer, rr)
		}
		if truncate && w.LocalAddr().Network() == "udp" {
			m.Answer = nil
			m.Truncated = true
		}
		_ = w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: mux}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	ap := netip.MustParseAddrPort(pc.LocalAddr().String())
	if truncate {
		ln, err := net.Listen("tcp", ap.String())
		if err != nil {
			t.Fatal(err)
		}
		tsrv := &dns.Server{Listener: ln, Handler: mux}
		go func() { _ = tsrv.ActivateAndServe() }()
		t.Cleanup(func() { _ = tsrv.Shutdown() })
	}
	return ap, &queries
}

// silent returns a loopback UDP port that reads queries and never answers.
func silent(t *testing.T) (netip.AddrPort, *atomic.Int32) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			n.Add(1)
		}
	}()
	t.Cleanup(func() { pc.Close() })
	return netip.MustParseAddrPort(pc.LocalAddr().String()), &n
}

// closed returns a loopback UDP port nothing listens on.
func closed(t *testing.T) netip.AddrPort {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(pc.LocalAddr().String())
	pc.Close()
	return ap
}

func TestProbe(t *testing.T) {
	good, goodQ := server(t, false)
	dead, deadQ := silent(t)
	shut := closed(t)
	p := Prober{Timeout: 300 * time.Millisecond}
	start := time.Now()
	res := p.Probe(context.Background(), []netip.AddrPort{good, dead, shut}, []string{"test.example", "missing.example."})
	elapsed := time.Since(start)
	if len(res) != 3*2*2 {
		t.Fatalf("%d results, want 12", len(res))
	}
	byKey := map[string]Result{}
	for _, r := range res {
		byKey[r.Server.String()+" "+r.Name+" "+r.Type] = r
	}
	a := byKey[good.String()+" test.example. A"]
	if a.Outcome != Answered || a.RCode != "NOERROR" || len(a.Addrs) != 1 || a.Addrs[0] != netip.MustParseAddr("192.0.2.80") || a.RTT <= 0 {
		t.Errorf("good A = %+v", a)
	}
	aaaa := byKey[good.String()+" test.example. AAAA"]
	if aaaa.Outcome != Answered || len(aaaa.Addrs) != 1 || aaaa.Addrs[0] != netip.MustParseAddr("2001:db8::80") {
		t.Errorf("good AAAA = %+v", aaaa)
	}
	if nx := byKey[good.String()+" missing.example. A"]; nx.Outcome != Answered || nx.RCode != "NXDOMAIN" || len(nx.Addrs) != 0 {
		t.Errorf("good NXDOMAIN = %+v", nx)
	}
	if d := byKey[dead.String()+" test.example. A"]; d.Outcome != Timeout {
		t.Errorf("silent server = %+v, want timeout", d)
	}
	if d := byKey[dead.String()+" missing.example. AAAA"]; d.Outcome != Timeout || !strings.HasPrefix(d.Error, "not asked") {
		t.Errorf("silent server later query = %+v, want not asked", d)
	}
	if s := byKey[shut.String()+" test.example. A"]; s.Outcome != Refused {
		t.Errorf("closed port = %+v, want refused", s)
	}
	if n := goodQ.Load(); n != 4 {
		t.Errorf("good server got %d queries, want 4", n)
	}
	if n := deadQ.Load(); n != 1 {
		t.Errorf("silent server got %d queries, want exactly 1 (no retry storm)", n)
	}
	// One timeout for the dead server, in parallel with the others.
	if elapsed > 3*time.Second {
		t.Errorf("probe took %v", elapsed)
	}
}

func TestProbeTruncatedRetriesOverTCP(t *testing.T) {
	srv, _ := server(t, true)
	res := Prober{Timeout: time.Second}.Probe(context.Background(), []netip.AddrPort{srv}, []string{"test.example"})
	if len(res) != 2 || !res[0].TCP || len(res[0].Addrs) != 1 {
		t.Errorf("results = %+v, want the A answer over TCP", res)
	}
}

func TestProbeLimits(t *testing.T) {
	var servers []netip.AddrPort
	for i := 0; i < MaxServers+3; i++ {
		servers = append(servers, closed(t))
	}
	names := make([]string, MaxNames+2)
	for i := range names {
		names[i] = "n.example"
	}
	res := Prober{Timeout: 200 * time.Millisecond}.Probe(context.Background(), servers, names)
	if len(res) != MaxServers*MaxNames*2 {
		t.Errorf("%d results, want %d", len(res), MaxServers*MaxNames*2)
	}
}

func TestProbeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv, _ := silent(t)
	res := Prober{Timeout: 5 * time.Second}.Probe(ctx, []netip.AddrPort{srv}, []string{"x.example"})
	for _, r := range res {
		if r.Outcome == Answered {
			t.Errorf("cancelled probe answered: %+v", r)
		}
	}
}
