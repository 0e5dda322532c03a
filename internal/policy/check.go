package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// rootProcess is the process of the row whose parent is not among them
// (the Postfix master, not its smtpd children), or the first.
func rootProcess(ps []report.Process) (report.Process, bool) {
	if len(ps) == 0 {
		return report.Process{}, false
	}
	pids := map[int]bool{}
	for _, p := range ps {
		pids[p.PID] = true
	}
	for _, p := range ps {
		if !pids[p.PPID] {
			return p, true
		}
	}
	return ps[0], true
}

func (r *Rule) portOK(row *report.Row) bool {
	return string(r.Proto) == string(row.Proto) && row.Port >= r.First && row.Port <= r.Last
}

func (r *Rule) exposureOK(row *report.Row) bool {
	if r.Exposure != "" && r.Exposure != row.Exposure {
		return false
	}
	if !r.Address.IsValid() || row.Exposure == report.ExposureLoopback && r.Exposure == report.ExposureLoopback && row.Address == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(row.Address)
	if err != nil {
		return false
	}
	return a.Unmap().WithZone("") == r.Address.WithZone("")
}

// ownerMatch is how a row's owner compares with the owner a rule allows.
type ownerMatch int

const (
	ownerAllowed ownerMatch = iota
	// ownerOther: another process, user or container.
	ownerOther
	// ownerUnseen: the rule names a process or user and the row's owner
	// could not be seen, so the row is neither allowed nor a violation.
	ownerUnseen
)

func (r *Rule) owner(row *report.Row) ownerMatch {
	if !r.publishedOK(row) {
		return ownerOther
	}
	p, ok := rootProcess(row.Processes)
	if !ok {
		switch {
		case len(r.Processes) == 0 && len(r.Users) == 0:
			return ownerAllowed
		case row.OwnerState == snapshot.OwnersNone:
			// Proven held by no process (a kernel socket, or a port
			// only a DNAT rule publishes): not the owner the rule names.
			return ownerOther
		}
		return ownerUnseen
	}
	if len(r.Processes) > 0 && !slices.Contains(r.Processes, NameKey(p.Name)) {
		return ownerOther
	}
	if len(r.Users) > 0 {
		u := NameKey(p.User)
		if u == "" && p.UID != nil {
			u = strconv.FormatUint(uint64(*p.UID), 10)
		}
		if !slices.Contains(r.Users, u) {
			return ownerOther
		}
	}
	return ownerAllowed
}

// publishedOK: a rule for published ports allows only rows a DNAT rule
// (or a forwarder) publishes, to the containers it names.
func (r *Rule) publishedOK(row *report.Row) bool {
	if (r.Published || len(r.Containers) > 0) && row.Published == nil {
		return false
	}
	return len(r.Containers) == 0 || slices.Contains(r.Containers, NameKey(row.Published.ContainerName))
}

// describeRow is "tcp/22 on 10.0.0.251 (sshd)", or for a published port
// "tcp/8080 on * (published to web)".
func describeRow(row *report.Row) string {
	s := fmt.Sprintf("%s/%d on %s", row.Proto, row.Port, row.Address)
	var who []string
	if p, ok := rootProcess(row.Processes); ok {
		who = append(who, p.Name)
	}
	if row.Published != nil {
		who = append(who, "published to "+publishedTo(row.Published))
	}
	if len(who) > 0 {
		s += " (" + strings.Join(who, ", ") + ")"
	}
	return s
}

// publishedTo is the container a published port goes to, by name, else
// its target address.
func publishedTo(p *report.Published) string {
	switch {
	case p.ContainerName != "":
		return p.ContainerName
	case p.Container != "":
		return p.Container
	case p.Target != "":
		return p.Target
	}
	return "?"
}

func describeRule(r *Rule) string {
	s := string(r.Proto) + "/" + portText(r)
	if r.Address.IsValid() {
		s += " on " + r.Address.String()
	}
	if len(r.Processes) > 0 {
		s += " (" + strings.Join(r.Processes, ",") + ")"
	}
	if r.Published {
		s += " published"
	}
	if len(r.Containers) > 0 {
		s += " to " + strings.Join(r.Containers, ",")
	}
	return s
}

func portText(r *Rule) string {
	if r.First == r.Last {
		return strconv.Itoa(int(r.First))
	}
	return fmt.Sprintf("%d-%d", r.First, r.Last)
}

func exposureText(r *Rule) string {
	e := string(r.Exposure)
	if e == "" {
		e = "any exposure"
	}
	if r.Address.IsValid() {
		e += " " + r.Address.String()
	}
	return e
}

func ruleOwner(r *Rule) string {
	s := ownerText(r.Processes, r.Users)
	switch {
	case len(r.Containers) > 0:
		s += ", published to " + strings.Join(r.Containers, ",")
	case r.Published:
		s += ", published"
	}
	return s
}

func ownerText(processes, users []string) string {
	var parts []string
	if len(processes) > 0 {
		parts = append(parts, "process "+strings.Join(processes, ","))
	}
	if len(users) > 0 {
		parts = append(parts, "user "+strings.Join(users, ","))
	}
	if len(parts) == 0 {
		return "any owner"
	}
	return strings.Join(parts, ", ")
}

func rowOwner(row *report.Row) string {
	s := "unknown owner"
	if p, ok := rootProcess(row.Processes); ok {
		u := p.User
		if u == "" && p.UID != nil {
			u = strconv.FormatUint(uint64(*p.UID), 10)
		}
		s = ownerText([]string{p.Name}, []string{u})
	} else if row.OwnerState == snapshot.OwnersNone {
		s = "no process"
	}
	if row.Published != nil {
		s += ", published to " + publishedTo(row.Published)
	}
	return s
}

// Apply compares the rows of rep with p: each row that no rule allows
// gets a finding (policy-new, policy-exposure, policy-owner) and its
// severity raised; every single-port, non-optional rule that no row
// matches is missing. rep.Policy gets the result and, on any violation,
// rep.ExitCode becomes report.ExitFindings.
func Apply(p *Policy, rep *report.Report) *report.PolicyResult {
	res := &report.PolicyResult{File: p.File, Rules: len(p.Rules), Violations: []report.PolicyViolation{}}
	touched := make([]bool, len(p.Rules))
	for ri := range rep.Rows {
		row := &rep.Rows[ri]
		kind, rule, unseen := "", -1, -1
		for i := range p.Rules {
			r := &p.Rules[i]
			if !r.portOK(row) {
				continue
			}
			exposed, owner := r.exposureOK(row), r.owner(row)
			if exposed && owner == ownerAllowed {
				kind, rule, unseen = "", i, -1
				touched[i] = true
				break
			}
			switch {
			case exposed && owner == ownerUnseen:
				// Another rule may still allow it whoever holds it.
				if unseen < 0 {
					unseen = i
				}
			case exposed && kind != report.PolicyOwner:
				kind, rule = report.PolicyOwner, i
			case kind == "":
				kind, rule = report.PolicyExposure, i
			}
		}
		if unseen >= 0 {
			r := &p.Rules[unseen]
			touched[unseen] = true
			res.Unproven = append(res.Unproven, ownerUnknown(p, r, row))
			continue
		}
		if rule < 0 {
			kind = report.PolicyNew
		}
		if kind == "" {
			continue
		}
		v := report.PolicyViolation{Kind: kind, Proto: string(row.Proto), Address: row.Address, Port: row.Port, Exposure: row.Exposure}
		if pr, ok := rootProcess(row.Processes); ok {
			v.Process = pr.Name
		}
		if row.Published != nil {
			v.Published, v.Container = true, row.Published.ContainerName
		}
		sev := snapshot.Risky
		switch kind {
		case report.PolicyNew:
			v.Message = report.Note{Key: "policy.new", Args: []string{describeRow(row)}}
		case report.PolicyExposure:
			r := &p.Rules[rule]
			touched[rule] = true
			v.Rule = p.Where(r)
			v.Message = report.Note{Key: "policy.exposure", Args: []string{v.Rule, exposureText(r), string(row.Exposure) + " " + row.Address}}
		case report.PolicyOwner:
			r := &p.Rules[rule]
			touched[rule] = true
			v.Rule = p.Where(r)
			sev = snapshot.Review
			v.Message = report.Note{Key: "policy.owner", Args: []string{v.Rule, ruleOwner(r), rowOwner(row)}}
		}
		res.Violations = append(res.Violations, v)
		row.Findings = append(row.Findings, report.Finding{Rule: "policy-" + kind, Severity: sev, Message: v.Message})
		row.Severity = max(row.Severity, sev)
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if touched[i] || r.Optional || r.First != r.Last {
			continue
		}
		res.Violations = append(res.Violations, report.PolicyViolation{
			Kind: report.PolicyMissing, Proto: string(r.Proto), Port: r.First, Exposure: r.Exposure, Address: addrText(r.Address),
			Process: strings.Join(r.Processes, ","), Published: r.Published || len(r.Containers) > 0, Container: strings.Join(r.Containers, ","), Rule: p.Where(r),
			Message: report.Note{Key: "policy.missing", Args: []string{p.Where(r), describeRule(r)}},
		})
	}
	rep.Policy = res
	switch {
	case len(res.Violations) > 0:
		rep.ExitCode = report.ExitFindings
	case len(res.Unproven) > 0 && rep.ExitCode == report.ExitOK:
		// An owner that could not be seen is no all-clear, whatever
		// built the report.
		rep.ExitCode = report.ExitIncomplete
	}
	return res
}

// ownerUnknown is the unproven entry of a row rule r allows only for the
// process or user it names, whose owner could not be seen.
func ownerUnknown(p *Policy, r *Rule, row *report.Row) report.PolicyViolation {
	v := report.PolicyViolation{Kind: report.PolicyOwnerUnknown, Proto: string(row.Proto), Address: row.Address, Port: row.Port,
		Exposure: row.Exposure, Allowed: ruleOwner(r), Rule: p.Where(r)}
	if row.Published != nil {
		v.Published, v.Container = true, row.Published.ContainerName
	}
	v.Message = report.Note{Key: "policy.owner-unknown", Args: append([]string{describeRow(row), v.Rule, v.Allowed}, ownerWhy(row)...)}
	return v
}

// ownerWhy is why the row's owner could not be seen: the arguments of its
// owner.unknown note (English reason, reason code, uid, user), "" each
// when it has none.
func ownerWhy(row *report.Row) []string {
	for _, n := range row.Notes {
		if n.Key == "owner.unknown" && len(n.Args) == 4 {
			return n.Args
		}
	}
	return []string{"", "", "", ""}
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// NameKey is a process or user name as a policy holds it: the name itself
// when it is valid UTF-8, else with each invalid byte written as the four
// characters \xNN (YAML strings cannot carry raw bytes).
func NameKey(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, "\\x%02x", s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
