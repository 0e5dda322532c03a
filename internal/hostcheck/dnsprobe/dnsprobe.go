// Package dnsprobe asks each nameserver on its own for the addresses of a
// few names, with one bounded attempt per query, and reports who answered,
// what, and how fast. It only ever queries the servers it is given; the
// caller gives it only the nameservers configured on the host.
package dnsprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Limits that keep one check from becoming a query storm.
const (
	// DefaultTimeout is the time one query may take.
	DefaultTimeout = 2 * time.Second
	// MaxServers is the most servers probed in one run.
	MaxServers = 8
	// MaxNames is the most names asked of each server.
	MaxNames = 8
	// parallel is how many queries are in flight at once.
	parallel = 4
)

// Outcome classifies a query's result.
type Outcome string

// The outcomes of one query.
const (
	Answered    Outcome = "answered"    // a reply came (any RCODE)
	Timeout     Outcome = "timeout"     // no reply in time
	Refused     Outcome = "refused"     // ICMP port unreachable: nothing listens
	Unreachable Outcome = "unreachable" // no route to the server
	Failed      Outcome = "failed"      // another error (see Error)
)

// Result is one query to one server.
type Result struct {
	Server netip.AddrPort `json:"server"`
	Name   string         `json:"name"`
	// Type is "A" or "AAAA".
	Type    string  `json:"type"`
	Outcome Outcome `json:"outcome"`
	// RCode is the reply's response code ("NOERROR", "NXDOMAIN", ...).
	RCode string       `json:"rcode,omitempty"`
	Addrs []netip.Addr `json:"addrs,omitempty"`
	// CNAMEs are the aliases followed in the answer.
	CNAMEs []string `json:"cnames,omitempty"`
	// RTT is the round-trip time of the reply.
	RTT time.Duration `json:"rtt_ns,omitempty"`
	// TCP is set when a truncated UDP reply was repeated over TCP.
	TCP   bool   `json:"tcp,omitempty"`
	Error string `json:"error,omitempty"`
}

// Prober sends the queries.
type Prober struct {
	// Timeout bounds each query (DefaultTimeout when 0).
	Timeout time.Duration
}

// Probe asks every server for the A and AAAA records of every name, once
// each over UDP (and once more over TCP only when the UDP reply was
// truncated). Servers past MaxServers and names past MaxNames are not
// asked; the caller reports that. Results come in server, name, type order.
// Once a server has not answered in time, its remaining queries are not
// sent but reported with the same outcome, so that a dead server costs
// one timeout, not one per query.
func (p Prober) Probe(ctx context.Context, servers []netip.AddrPort, names []string) []Result {
	if len(servers) > MaxServers {
		servers = servers[:MaxServers]
	}
	if len(names) > MaxNames {
		names = names[:MaxNames]
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	types := []uint16{dns.TypeA, dns.TypeAAAA}
	results := make([]Result, len(servers)*len(names)*len(types))
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for si, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One server's queries run in sequence so that a dead
			// server is found with the first query.
			var dead *Result
			for ni, name := range names {
				for ti, qt := range types {
					k := (si*len(names)+ni)*len(types) + ti
					if dead != nil {
						r := *dead
						r.Name, r.Type = dns.Fqdn(name), dns.TypeToString[qt]
						r.RTT = 0
						r.Error = fmt.Sprintf("not asked: %s", dead.Error)
						results[k] = r
						continue
					}
					select {
					case sem <- struct{}{}:
					case <-ctx.Done():
						results[k] = Result{Server: srv, Name: dns.Fqdn(name), Type: dns.TypeToString[qt], Outcome: Failed, Error: ctx.Err().Error()}
						continue
					}
					results[k] = query(ctx, srv, name, qt, timeout)
					<-sem
					if o := results[k].Outcome; o == Timeout || o == Refused || o == Unreachable {
						d := results[k]
						dead = &d
					}
				}
			}
		}()
	}
	wg.Wait()
	return results
}

// exchange asks addr m through c, returning as soon as ctx is done (a
// SIGINT or SIGTERM): dns.Client takes only ctx's deadline, so the
// connection is closed on cancellation to end a read that waits for an
// answer. It dials itself rather than through dns.Client.DialContext,
// whose DNS-over-TLS branch would link crypto/tls into every start.
func exchange(ctx context.Context, c *dns.Client, m *dns.Msg, addr string) (*dns.Msg, time.Duration, error) {
	nc, err := (&net.Dialer{Timeout: c.Timeout}).DialContext(ctx, c.Net, addr)
	if err != nil {
		return nil, 0, err
	}
	conn := &dns.Conn{Conn: nc}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	in, rtt, err := c.ExchangeWithConnContext(ctx, m, conn)
	if err != nil && ctx.Err() != nil {
		return nil, rtt, fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return in, rtt, err
}

func query(ctx context.Context, srv netip.AddrPort, name string, qt uint16, timeout time.Duration) Result {
	res := Result{Server: srv, Name: dns.Fqdn(name), Type: dns.TypeToString[qt]}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qt)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	c := &dns.Client{Net: "udp", Timeout: timeout}
	addr := srv.String()
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	in, rtt, err := exchange(qctx, c, m, addr)
	if err == nil && in.Truncated {
		tc := &dns.Client{Net: "tcp", Timeout: timeout}
		tctx, tcancel := context.WithTimeout(ctx, timeout)
		defer tcancel()
		if tin, trtt, terr := exchange(tctx, tc, m, addr); terr == nil {
			in, rtt, res.TCP = tin, trtt, true
		}
	}
	if err != nil {
		res.Outcome, res.Error = classify(err), err.Error()
		return res
	}
	res.Outcome = Answered
	res.RTT = rtt
	res.RCode = dns.RcodeToString[in.Rcode]
	for _, rr := range in.Answer {
		switch v := rr.(type) {
		case *dns.A:
			if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
				res.Addrs = append(res.Addrs, a)
			}
		case *dns.AAAA:
			if a, ok := netip.AddrFromSlice(v.AAAA); ok {
				res.Addrs = append(res.Addrs, a)
			}
		case *dns.CNAME:
			res.CNAMEs = append(res.CNAMEs, v.Target)
		}
	}
	return res
}

// classify turns a network error into an Outcome.
func classify(err error) Outcome {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return Unreachable
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Timeout
	}
	return Failed
}
