package render

import (
	"io"
	"slices"
	"strings"

	"github.com/openports/openports/internal/knowledge"
)

func init() {
	Explanations.Register(FormatTable, writeExplainText)
	Explanations.Register(FormatJSON, writeExplainJSON)
}

// explained is an entry in JSON.
type explained struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Service     string   `json:"service"`
	Description string   `json:"description"`
	Risk        string   `json:"risk"`
	Restrict    string   `json:"restrict"`
	Keys        []string `json:"keys"`
	Sources     []string `json:"sources"`
}

func writeExplainJSON(w io.Writer, entries []Explanation, o Options) error {
	lang := knowledge.NormalizeLang(o.Lang)
	out := make([]explained, 0, len(entries))
	for _, e := range entries {
		t := e.Text(lang)
		out = append(out, explained{e.ID, e.Name, e.Service, t.Description, t.Risk, t.Restrict, e.Keys(), e.Sources})
	}
	return writeJSON(w, out, "explanation")
}

// platformLabels name the platforms and inetd for the stop section.
var platformLabels = map[string]string{
	"linux": "Linux (systemd)", "netbsd": "NetBSD", "freebsd": "FreeBSD", "openbsd": "OpenBSD",
	"darwin": "macOS (launchd)", knowledge.StopInetd: "inetd (/etc/inetd.conf)",
}

// writeExplainText writes each entry for people: what it is, its ports and
// process names, why exposure matters, its severity per exposure class,
// how to restrict it and how to turn it off on o.Platform (every platform
// when ""), and the sources.
func writeExplainText(w io.Writer, entries []Explanation, o Options) error {
	tx := newTexts(o.Lang, o.Knowledge)
	lw := newLineWriter(w)
	for i, e := range entries {
		if i > 0 {
			lw.line("")
		}
		tx.explainEntry(lw, e, o.Platform)
	}
	return lw.flush("explanation")
}

func (tx texts) explainEntry(lw *lineWriter, e *knowledge.Entry, platform string) {
	lw.printf("%s: %s [%s]\n", e.ID, e.Name, e.Service)
	switch e.Kind {
	case knowledge.KindService:
	case knowledge.KindProtocol:
		lw.printf("  (%s)\n", tx.get(MsgXKindProto))
	case knowledge.KindRelay:
		lw.printf("  (%s)\n", tx.get(MsgXKindRelay))
	case knowledge.KindRuntime:
		lw.printf("  (%s)\n", tx.get(MsgXKindRuntim))
	}
	if len(e.Ports) > 0 {
		lw.printf("%s: %s\n", tx.get(MsgXPorts), joinSpecs(e.Ports))
	}
	if len(e.AlsoPorts) > 0 {
		lw.printf("%s: %s\n", tx.get(MsgXAlso), joinSpecs(e.AlsoPorts))
	}
	patterns := e.Patterns()
	if procs := e.Processes(platform); len(procs) > 0 {
		lw.printf("%s: %s\n", tx.get(MsgXProcs), strings.Join(procs, ", "))
	} else if len(patterns) == 0 {
		lw.printf("%s: %s\n", tx.get(MsgXProcs), tx.get(MsgXPortOnly))
	}
	if len(patterns) > 0 {
		lw.printf("  (%s)\n", strings.Join(patterns, ", "))
	}
	t := e.Text(tx.lang)
	lw.printf("\n%s:\n  %s\n", tx.get(MsgXWhat), t.Description)
	lw.printf("\n%s:\n  %s\n", tx.get(MsgXWhy), t.Risk)
	lw.printf("\n%s:\n", tx.get(MsgXSeverity))
	width := 0
	for _, x := range knowledge.Exposures {
		width = max(width, cellWidth(tx.exposure(x, "")))
	}
	for _, x := range knowledge.Exposures {
		lw.printf("  %s %s\n", padRight(tx.exposure(x, ""), width), tx.severity(e.Severity(x)))
	}
	lw.printf("\n%s:\n  %s\n", tx.get(MsgXRestrict), t.Restrict)
	platforms := e.StopPlatforms()
	if platform != "" {
		platforms = slices.DeleteFunc(platforms, func(p string) bool { return p != platform && p != knowledge.StopInetd })
	}
	if len(platforms) > 0 {
		lw.printf("\n%s:\n", tx.get(MsgXStop))
		for _, p := range platforms {
			lw.printf("  %s:\n", platformLabels[p])
			for _, s := range e.StopText(p, tx.lang) {
				lw.printf("    %s\n", s)
			}
		}
	}
	lw.printf("\n%s:\n", tx.get(MsgXSources))
	for _, s := range e.Sources {
		lw.printf("  %s\n", s)
	}
}

func joinSpecs(specs []knowledge.PortSpec) string {
	s := make([]string, len(specs))
	for i, p := range specs {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
