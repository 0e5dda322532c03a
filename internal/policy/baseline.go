package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/openports/openports/internal/report"
)

// FromReport makes the policy of what listens in rep: one rule per row
// (rows alike but for the IP version merged), with the row's exposure,
// address (for one address, link-local and loopback addresses other than
// both loopbacks), main process and its user. A port published by DNAT
// is allowed as published, to its container by name (not by PID or ID:
// no socket need back it, and a recreated container keeps its name).
// Rows a rule finds bound in the ephemeral range are optional: such
// sockets come and go.
func FromReport(rep *report.Report, file string) *Policy {
	p := &Policy{File: file}
	for i := range rep.Rows {
		row := &rep.Rows[i]
		r := Rule{Proto: row.Proto, First: row.Port, Last: row.Port, Exposure: row.Exposure, Service: row.ServiceLabel}
		switch row.Exposure {
		case report.ExposureAddress, report.ExposureLinkLocal, report.ExposureLoopback:
			if a, err := netip.ParseAddr(row.Address); err == nil {
				r.Address = a.Unmap().WithZone("")
			}
		}
		if pr, ok := rootProcess(row.Processes); ok {
			r.Processes = []string{NameKey(pr.Name)}
			if pr.User != "" {
				r.Users = []string{NameKey(pr.User)}
			}
		}
		if pub := row.Published; pub != nil {
			r.Published = true
			if pub.PortLast != 0 {
				r.Last = pub.PortLast
			}
			if pub.ContainerName != "" {
				r.Containers = []string{NameKey(pub.ContainerName)}
			}
		}
		for _, f := range row.Findings {
			if f.Rule == "ephemeral-bound" {
				r.Optional = true
				r.Comment = "bound in the ephemeral port range: such sockets come and go"
			}
		}
		if !slices.ContainsFunc(p.Rules, func(q Rule) bool { return sameRule(&q, &r) }) {
			p.Rules = append(p.Rules, r)
		}
	}
	slices.SortStableFunc(p.Rules, func(a, b Rule) int {
		if c := strings.Compare(string(a.Proto), string(b.Proto)); c != 0 {
			return c
		}
		return int(a.First) - int(b.First)
	})
	return p
}

func sameRule(a, b *Rule) bool {
	return a.Proto == b.Proto && a.First == b.First && a.Last == b.Last && a.Exposure == b.Exposure &&
		a.Address == b.Address && slices.Equal(a.Processes, b.Processes) && slices.Equal(a.Users, b.Users) && a.Optional == b.Optional &&
		a.Published == b.Published && slices.Equal(a.Containers, b.Containers)
}

// Marshal writes p as a readable YAML policy that Parse reads back, with
// header comment lines (each prefixed with "# ").
func (p *Policy) Marshal(header []string) []byte {
	var b strings.Builder
	for _, h := range header {
		b.WriteString(strings.TrimRight("# "+h, " ") + "\n")
	}
	fmt.Fprintf(&b, "version: %d\n", Version)
	if len(p.Rules) == 0 {
		b.WriteString("allow: []\n")
		return []byte(b.String())
	}
	b.WriteString("allow:\n")
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.Service != "" {
			fmt.Fprintf(&b, "  # %s\n", oneLine(r.Service))
		}
		fmt.Fprintf(&b, "  - proto: %s\n", r.Proto)
		if r.First == r.Last {
			fmt.Fprintf(&b, "    port: %d\n", r.First)
		} else {
			fmt.Fprintf(&b, "    port: %d-%d\n", r.First, r.Last)
		}
		if r.Exposure != "" {
			fmt.Fprintf(&b, "    exposure: %s\n", r.Exposure)
		}
		if r.Address.IsValid() {
			fmt.Fprintf(&b, "    address: %s\n", yamlScalar(r.Address.String()))
		}
		writeList(&b, "process", r.Processes)
		writeList(&b, "user", r.Users)
		if r.Published {
			b.WriteString("    published: true\n")
		}
		writeList(&b, "container", r.Containers)
		if r.Service != "" {
			fmt.Fprintf(&b, "    service: %s\n", yamlScalar(r.Service))
		}
		if r.Comment != "" {
			fmt.Fprintf(&b, "    comment: %s\n", yamlScalar(r.Comment))
		}
		if r.Optional {
			b.WriteString("    optional: true\n")
		}
	}
	return []byte(b.String())
}

func writeList(b *strings.Builder, key string, vs []string) {
	switch len(vs) {
	case 0:
	case 1:
		fmt.Fprintf(b, "    %s: %s\n", key, yamlScalar(vs[0]))
	default:
		q := make([]string, len(vs))
		for i, v := range vs {
			q[i] = yamlScalar(v)
		}
		fmt.Fprintf(b, "    %s: [%s]\n", key, strings.Join(q, ", "))
	}
}

// yamlScalar is s as a YAML string that reads back as itself: plain when
// that is safe, else double-quoted.
func yamlScalar(s string) string {
	plain := s != ""
	for _, c := range s {
		if !(c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == '@' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			plain = false
			break
		}
	}
	if plain && !strings.HasSuffix(s, ":") && !strings.HasPrefix(s, "-") {
		var n yaml.Node
		if yaml.Unmarshal([]byte(s), &n) == nil && len(n.Content) == 1 && n.Content[0].Tag == "!!str" {
			return s
		}
	}
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	q := strings.TrimSuffix(string(out), "\n")
	if strings.Contains(q, "\n") {
		return fmt.Sprintf("%q", s)
	}
	return q
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
