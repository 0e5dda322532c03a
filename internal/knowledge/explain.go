package knowledge

import (
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/openports/openports/internal/report"
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

// labels are the headings of WriteExplanation in each language.
var labels = map[string]map[string]string{
	LangEN: {
		"ports": "Ports", "also": "Also uses", "procs": "Processes", "none": "(identified by port only)",
		"what": "What it is", "risk": "Why exposure matters", "sev": "Severity by exposure",
		"restrict": "To restrict it", "stop": "To turn it off", "sources": "Sources",
		"kind.protocol": "protocol served by several programs", "kind.relay": "starts or forwards other services",
		"kind.runtime": "language runtime: the program it runs decides the service",
	},
	LangJA: {
		"ports": "ポート", "also": "他に使うポート", "procs": "プロセス名", "none": "(ポート番号のみで識別)",
		"what": "概要", "risk": "公開するとどうなるか", "sev": "公開範囲ごとの危険度",
		"restrict": "アクセスを制限するには", "stop": "停止・無効化するには", "sources": "出典",
		"kind.protocol": "複数のプログラムが提供するプロトコル", "kind.relay": "他のサービスを起動・中継するプログラム",
		"kind.runtime": "言語ランタイム (サービスの正体は動かしているプログラム次第)",
	},
}

// exposureLabels name the exposure classes for people.
var exposureLabels = map[string]map[string]string{
	LangEN: {
		report.ExposureLoopback: "loopback", report.ExposureLinkLocal: "link-local",
		report.ExposureAddress: "one address", report.ExposureAll: "all interfaces",
	},
	LangJA: {
		report.ExposureLoopback: "ループバックのみ", report.ExposureLinkLocal: "リンクローカル",
		report.ExposureAddress: "特定アドレス", report.ExposureAll: "全インターフェイス",
	},
}

// ExposureLabel names an exposure class (report.Exposure*) for people in
// lang; an unknown class is returned as is.
func ExposureLabel(exposure, lang string) string {
	if s, ok := exposureLabels[NormalizeLang(lang)][exposure]; ok {
		return s
	}
	return exposure
}

// platformLabels name the platforms and inetd for the stop section.
var platformLabels = map[string]string{
	"linux": "Linux (systemd)", "netbsd": "NetBSD", "freebsd": "FreeBSD", "openbsd": "OpenBSD",
	"darwin": "macOS (launchd)", StopInetd: "inetd (/etc/inetd.conf)",
}

// WriteExplanation writes the human explanation of e in lang ("en" or
// "ja"; see NormalizeLang) for a host running os (a GOOS name, or "" for
// every platform): what it is, its ports and process names, why exposure
// matters, its severity per exposure class, how to restrict it and how to
// turn it off, and the sources.
func WriteExplanation(w io.Writer, e *Entry, lang, os string) error {
	lang = NormalizeLang(lang)
	l := labels[lang]
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s [%s]\n", e.ID, e.Name, e.Service)
	if e.Kind != KindService {
		fmt.Fprintf(&b, "  (%s)\n", l["kind."+string(e.Kind)])
	}
	if len(e.Ports) > 0 {
		fmt.Fprintf(&b, "%s: %s\n", l["ports"], joinSpecs(e.Ports))
	}
	if len(e.AlsoPorts) > 0 {
		fmt.Fprintf(&b, "%s: %s\n", l["also"], joinSpecs(e.AlsoPorts))
	}
	if procs := e.Processes(os); len(procs) > 0 {
		fmt.Fprintf(&b, "%s: %s\n", l["procs"], strings.Join(procs, ", "))
	} else if len(e.patterns) == 0 {
		fmt.Fprintf(&b, "%s: %s\n", l["procs"], l["none"])
	}
	if len(e.patterns) > 0 {
		fmt.Fprintf(&b, "  (%s)\n", strings.Join(e.patterns, ", "))
	}
	t := e.Text(lang)
	section(&b, l["what"], t.Description)
	section(&b, l["risk"], t.Risk)
	fmt.Fprintf(&b, "\n%s:\n", l["sev"])
	for _, x := range Exposures {
		if lang == LangJA {
			// Full-width labels do not line up by byte count.
			fmt.Fprintf(&b, "  %s: %s\n", ExposureLabel(x, lang), e.Severity(x).Label(lang))
			continue
		}
		fmt.Fprintf(&b, "  %-15s %s\n", ExposureLabel(x, lang), e.Severity(x).Label(lang))
	}
	section(&b, l["restrict"], t.Restrict)
	platforms := e.StopPlatforms()
	if os != "" {
		platforms = slices.DeleteFunc(platforms, func(p string) bool { return p != os && p != StopInetd })
	}
	if len(platforms) > 0 {
		fmt.Fprintf(&b, "\n%s:\n", l["stop"])
		for _, p := range platforms {
			fmt.Fprintf(&b, "  %s:\n", platformLabels[p])
			for _, s := range e.StopText(p, lang) {
				fmt.Fprintf(&b, "    %s\n", s)
			}
		}
	}
	fmt.Fprintf(&b, "\n%s:\n", l["sources"])
	for _, s := range e.Sources {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write explanation of %s: %w", e.ID, err)
	}
	return nil
}

func section(b *strings.Builder, title, text string) {
	fmt.Fprintf(b, "\n%s:\n  %s\n", title, text)
}

func joinSpecs(specs []PortSpec) string {
	s := make([]string, len(specs))
	for i, p := range specs {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
