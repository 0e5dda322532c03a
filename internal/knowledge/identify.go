package knowledge

import (
	"cmp"
	"path"
	"slices"
	"strings"

	"github.com/openports/openports/internal/snapshot"
)

// Method says how a service was identified.
type Method string

// The identification methods, from the most to the least certain.
const (
	// ByProcess: the owning process's name is one the service uses.
	ByProcess Method = "process"
	// ByPort: the port is one that only this service claims; the owner
	// was unknown, a relay (inetd, docker-proxy) or a runtime (java).
	ByPort Method = "port"
	// ByHeuristic: the process name fits a pattern (e.g. *_exporter).
	ByHeuristic Method = "heuristic"
)

// Match is the result of Identify.
type Match struct {
	// Entry is the service; nil when ok is false.
	Entry *Entry
	// By says how Entry was identified.
	By Method
	// Via is the relay or runtime entry of the owning process when the
	// service was identified through it: inetd for telnet on 23,
	// docker-proxy for a published port, java for Kafka on 9092. When
	// Identify returns ok false, Via may still name the runtime that owns
	// the socket (a java program on an unknown port).
	Via *Entry
	// Alternatives are other entries the same process name may belong to
	// on this platform (e.g. OpenSMTPD and Postfix both run smtpd), most
	// likely first.
	Alternatives []*Entry
	// Truncated is true when the process name was matched as the cut-off
	// start of a longer name (Linux comm keeps 15 bytes, lsof 9).
	Truncated bool
}

// truncationWidths are the lengths at which tools cut command names: lsof's
// default COMMAND width (9), Linux comm (TASK_COMM_LEN-1 = 15), NetBSD and
// macOS MAXCOMLEN (16), FreeBSD MAXCOMLEN (19), OpenBSD _MAXCOMLEN-1 (23).
var truncationWidths = []int{9, 15, 16, 19, 23}

// NormalizeProcess reduces a command name as tools print it to the name the
// knowledge base uses: a process title's "name: status" suffix and a
// directory prefix are removed ("nginx: worker p" → "nginx",
// "/usr/sbin/apach" → "apach"), and the name is lower-cased. truncated
// reports whether the printed name may have been cut off by its tool.
func NormalizeProcess(raw string) (name string, truncated bool) {
	raw = strings.TrimSpace(raw)
	truncated = slices.Contains(truncationWidths, len(raw))
	name = raw
	if i := strings.Index(name, ": "); i > 0 && !strings.ContainsAny(name[:i], " \t") {
		name, truncated = name[:i], false
	} else if strings.HasSuffix(name, ":") {
		name, truncated = strings.TrimSuffix(name, ":"), false
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.ToLower(name), truncated && name != ""
}

// Identify names the service behind a socket from what was observed: the
// owning process's command name (proc, "" when unknown), the protocol, the
// local port and the OS of the host (a GOOS name, "" when unknown, which
// considers every platform). It tries the process name first, then the
// port, then name heuristics, and never contacts the port.
//
// ok is false when no entry identifies the service: the caller says that
// the service is unknown and names proc.
func (b *Base) Identify(proc string, proto snapshot.Proto, port uint16, os string) (m Match, ok bool) {
	name, truncated := NormalizeProcess(proc)
	if name != "" {
		if cands, cut := b.byProcess(name, truncated, proto, port, os); len(cands) > 0 {
			m, ok = b.resolve(cands, proto, port)
			m.Truncated = cut
			return m, ok
		}
	}
	if e := b.portEntry(proto, port); e != nil {
		return Match{Entry: e, By: ByPort}, true
	}
	if name != "" {
		for i := range b.patterns {
			pc := &b.patterns[i]
			if !pc.mayMatch(name) {
				continue
			}
			if matched, _ := path.Match(pc.pattern, name); !matched {
				continue
			}
			if pc.entry.Kind == KindRuntime {
				return Match{Via: pc.entry, By: ByHeuristic}, false
			}
			return Match{Entry: pc.entry, By: ByHeuristic}, true
		}
	}
	return Match{}, false
}

// candidate is an entry claiming a process name.
type candidate struct {
	e         *Entry
	hasPort   bool
	platform  bool // claimed for this platform, not only shared
	preferred bool // the entry wins ties on this platform (preferred_on)
}

// byProcess returns the entries that claim name on os, most likely first,
// and whether the match relied on name being cut off.
func (b *Base) byProcess(name string, truncated bool, proto snapshot.Proto, port uint16, os string) ([]candidate, bool) {
	// On a known platform, a name claimed for that platform beats a shared
	// one (OpenNTPD's ntpd on OpenBSD); on an unknown one every platform's
	// names count, and none is preferred.
	onPlatform := slices.Contains(Platforms, os)
	keys := []string{os}
	if !onPlatform {
		keys = Platforms
	}
	var out []candidate
	add := func(e *Entry, known string, platform bool) {
		has := e.HasPort(proto, port)
		if !has && slices.Contains(e.portConfirmed, known) {
			return
		}
		for i := range out {
			if out[i].e == e {
				out[i].platform = out[i].platform || platform
				return
			}
		}
		out = append(out, candidate{e: e, hasPort: has, platform: platform, preferred: slices.Contains(e.preferredOn, os)})
	}
	// exact looks name up in every index that applies; prefix scans them
	// for longer names that name may be the cut-off start of.
	lookup := func(match func(key string, each func(known string, es []*Entry))) {
		match(Shared, func(known string, es []*Entry) {
			for _, e := range es {
				add(e, known, false)
			}
		})
		for _, k := range keys {
			match(k, func(known string, es []*Entry) {
				for _, e := range es {
					add(e, known, onPlatform)
				}
			})
		}
	}
	lookup(func(key string, each func(string, []*Entry)) {
		if es, ok := b.byProc[key][name]; ok {
			each(name, es)
		}
	})
	cut := false
	if len(out) == 0 && truncated {
		cut = true
		// The names of a key are sorted: those that start with name
		// follow the place name would take.
		lookup(func(key string, each func(string, []*Entry)) {
			names := b.procNames[key]
			i, _ := slices.BinarySearch(names, name)
			for ; i < len(names) && strings.HasPrefix(names[i], name); i++ {
				if len(names[i]) > len(name) {
					each(names[i], b.byProc[key][names[i]])
				}
			}
		})
	}
	slices.SortFunc(out, func(x, y candidate) int {
		return cmp.Or(
			-cmp.Compare(boolInt(x.hasPort), boolInt(y.hasPort)),
			-cmp.Compare(boolInt(x.platform), boolInt(y.platform)),
			-cmp.Compare(boolInt(x.preferred), boolInt(y.preferred)),
			cmp.Compare(x.e.order, y.e.order),
		)
	})
	return out, cut && len(out) > 0
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// resolve turns the candidates for a process name into a match.
func (b *Base) resolve(cands []candidate, proto snapshot.Proto, port uint16) (Match, bool) {
	best := cands[0].e
	var alts []*Entry
	for _, c := range cands[1:] {
		alts = append(alts, c.e)
	}
	switch best.Kind {
	case KindRelay:
		if cands[0].hasPort {
			return Match{Entry: best, By: ByProcess, Alternatives: alts}, true
		}
		if e := b.portEntry(proto, port); e != nil {
			return Match{Entry: e, By: ByPort, Via: best}, true
		}
		if best.fallback != nil {
			return Match{Entry: best.fallback, By: ByProcess, Via: best}, true
		}
		return Match{Entry: best, By: ByProcess, Alternatives: alts}, true
	case KindRuntime:
		if e := b.portEntry(proto, port); e != nil {
			return Match{Entry: e, By: ByPort, Via: best}, true
		}
		return Match{Via: best, By: ByProcess}, false
	}
	return Match{Entry: best, By: ByProcess, Alternatives: alts}, true
}

// portEntry returns the entry whose identifying ports hold port on proto.
func (b *Base) portEntry(proto snapshot.Proto, port uint16) *Entry {
	if port == 0 {
		return nil
	}
	if e, ok := b.byPort[portKey{proto, port}]; ok {
		return e
	}
	for _, r := range b.ranges {
		if r.spec.Contains(proto, port) {
			return r.entry
		}
	}
	return nil
}
