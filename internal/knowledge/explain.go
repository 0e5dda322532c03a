package knowledge

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/openports/openports/internal/snapshot"
)

// ErrNotFound is returned by Explain when nothing matches the query.
var ErrNotFound = errors.New("no service, port or process matches")

// Explain returns the entries a query names, for `openports explain`. A
// query is a port ("22"), a port and protocol ("53/udp"), an entry id, a
// service label or product name ("ssh", "OpenSSH server"), or a process
// name on any platform ("sshd", "/usr/sbin/sshd"). Entries come in order of
// how directly they match: the entry that owns a port before those that
// also use it; id, then service label, then name, then process.
func (b *Base) Explain(query string) ([]*Entry, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return nil, errors.New("explain: empty query: want a port, service or process name")
	}
	var out []*Entry
	add := func(e *Entry) {
		if e != nil && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if isPortQuery(q) {
		num, proto, hasProto := strings.Cut(q, "/")
		port, err := parsePort(num)
		if err != nil {
			return nil, fmt.Errorf("explain %q: %w", query, err)
		}
		protos := []snapshot.Proto{snapshot.TCP, snapshot.UDP, snapshot.SCTP, snapshot.UDPLite}
		if hasProto {
			p, ok := specProtos[strings.ToLower(proto)]
			if !ok {
				return nil, fmt.Errorf("explain %q: unknown protocol %q (want tcp, udp, udplite or sctp)", query, proto)
			}
			protos = []snapshot.Proto{p}
		}
		for _, p := range protos {
			add(b.portEntry(p, port))
		}
		for _, e := range b.entries {
			for _, p := range protos {
				if e.HasPort(p, port) {
					add(e)
				}
			}
		}
	} else {
		lq := strings.ToLower(q)
		add(b.byID[lq])
		for _, e := range b.entries {
			if e.Service == lq {
				add(e)
			}
		}
		for _, e := range b.entries {
			if strings.ToLower(e.Name) == lq {
				add(e)
			}
		}
		name, _ := NormalizeProcess(q)
		for _, e := range b.entries {
			if containsFold(e.Processes(""), name) {
				add(e)
			}
		}
		if len(out) == 0 {
			for _, pc := range b.patterns {
				if ok, _ := path.Match(pc.pattern, name); ok {
					add(pc.entry)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("explain %q: %w", query, ErrNotFound)
	}
	return out, nil
}

// isPortQuery reports whether q starts like a port number.
func isPortQuery(q string) bool { return q[0] >= '0' && q[0] <= '9' }
