package render

import (
	"io"
	"strings"

	"github.com/openports/openports/internal/hostcheck"
	"github.com/openports/openports/internal/hostcheck/finding"
)

func init() {
	Checks.Register(FormatTable, writeCheckText)
	Checks.Register(FormatJSON, writeCheckJSON)
}

// writeCheckJSON writes the result as one JSON object whose "checks" array
// holds one object per check.
func writeCheckJSON(w io.Writer, r *hostcheck.Result, o Options) error {
	c := *r
	c.Checks = append([]hostcheck.Check(nil), r.Checks...)
	tx := newTexts(o.Lang, o.Knowledge)
	for i := range c.Checks {
		if c.Checks[i].Ports != nil {
			c.Checks[i].Ports = withTexts(c.Checks[i].Ports, tx)
		}
	}
	return writeJSON(w, &c, "check result")
}

// writeCheckText writes the result for people: one section per check with
// its verdict, one line per finding with the reason and what to look at
// under each finding that is not ok, then the port listing.
func writeCheckText(w io.Writer, r *hostcheck.Result, o Options) error {
	tx := newTexts(o.Lang, o.Knowledge)
	lw := newLineWriter(w)
	for _, c := range r.Checks {
		lw.line(tx.get(MsgCheckSection, short(c.Name), strings.ToUpper(tx.verdict(c.Verdict)), capText(tx.checkSummary(c))))
		width := 0
		for _, f := range c.Findings {
			width = max(width, cellWidth(truncate(tx.subject(c, f), 32)))
		}
		width = min(width, 32)
		labels := []string{tx.get(MsgCheckWhy), tx.get(MsgCheckExpected), tx.get(MsgCheckActual), tx.get(MsgCheckLookAt)}
		lw2 := 0
		for _, l := range labels {
			lw2 = max(lw2, cellWidth(l))
		}
		pad := strings.Repeat(" ", 2+7+2)
		label := func(l string) string { return pad + l + strings.Repeat(" ", lw2-cellWidth(l)+1) }
		for _, f := range c.Findings {
			subject := truncate(tx.subject(c, f), 32)
			message, reason, hint := tx.findingTexts(f)
			lw.line("  " + padRight(tx.verdict(f.Verdict), 7) + "  " + padRight(subject, width) + "  " + capText(message))
			if f.Verdict == finding.OK {
				continue
			}
			if reason != "" {
				lw.line(label(labels[0]) + capText(reason))
			}
			if f.Expected != "" || f.Actual != "" {
				lw.line(label(labels[1]) + capText(Escape(f.Expected)))
				lw.line(label(labels[2]) + capText(Escape(f.Actual)))
			}
			if hint != "" {
				lw.line(label(labels[3]) + capText(hint))
			}
		}
		for _, g := range c.Gaps {
			lw.line("  " + padRight(tx.get(MsgCheckGap), 7) + "  " + capText(tx.gap(g)))
		}
	}
	var p, wn, g int
	for _, c := range r.Checks {
		switch c.Verdict {
		case finding.Problem:
			p++
		case finding.Warning:
			wn++
		}
		if c.Incomplete() {
			g++
		}
	}
	lw.line(tx.get(MsgCheckSummary, len(r.Checks), p, wn, g, r.ExitCode))
	if err := lw.flush("check result"); err != nil {
		return err
	}
	for _, c := range r.Checks {
		if c.Name == hostcheck.CheckPorts && c.Ports != nil {
			lw := newLineWriter(w)
			lw.line("\n" + tx.get(MsgCheckPortsTitle))
			if err := lw.flush("check result"); err != nil {
				return err
			}
			if err := writeReportTable(w, c.Ports, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// findingIDs are the texts of findings that carry a code: message,
// reason and hint.
var findingIDs = map[string][3]MsgID{
	hostcheck.CodePortsSummary:         {MsgPortsSummary},
	hostcheck.CodePortsDangerous:       {MsgPortsDangerous, MsgPortsDangerousWhy, MsgPortsHintExplain},
	hostcheck.CodePortsRisky:           {MsgPortsRisky, MsgPortsRiskyWhy, MsgPortsHintExplain},
	hostcheck.CodePortsUnknownOwner:    {MsgPortsUnknownOwner, MsgPortsUnknownWhy, MsgPortsHintNote},
	hostcheck.CodePortsPolicy:          {MsgPortsPolicy, MsgPortsPolicyWhy, MsgPortsHintNote},
	hostcheck.CodePortsPolicyMissing:   {MsgPortsPolicyMissing},
	"expect.absent":                    {MsgSayExpAbsent},
	"expect.state":                     {MsgSayExpState},
	"iface.none-found":                 {MsgSayIfaceNone},
	"iface.state-no-address":           {MsgSayIfaceNoAddr},
	"iface.configured-twice":           {MsgSayIfaceTwice},
	"expect.mtu":                       {MsgSayExpMTU},
	"expect.lacks":                     {MsgSayExpLacks},
	"expect.ok":                        {MsgSayExpOK},
	"expect.nameservers-ok":            {MsgSayExpNSOK},
	"expect.nameservers":               {MsgSayExpNS},
	"route.none":                       {MsgSayRtNone},
	"route.none-usable":                {MsgSayRtNoneUsable},
	"route.none-no-global":             {MsgSayRtNoneNoGlobal},
	"route.none-usable-no-global":      {MsgSayRtNoneUsableNoGlobal},
	"route.gateway":                    {MsgSayRtGateway},
	"dns.answered":                     {MsgSayDNSAnswered},
	"dns.silent":                       {MsgSayDNSSilent},
	"dns.names":                        {MsgSayDNSNames},
	"dns.unresolved":                   {MsgSayDNSUnresolved},
	"resolv.no-file":                   {MsgSayRsNoFile},
	"resolv.remote":                    {MsgSayRsRemote},
	"resolv.remote-route":              {MsgSayRsRemoteRoute},
	"resolv.routes-unknown":            {MsgSayRsRoutesUnknown},
	"resolv.local":                     {MsgSayRsLocal},
	"resolv.local-unchecked":           {MsgSayRsLocalUnchecked},
	"resolv.local-listens":             {MsgSayRsLocalListens},
	"resolv.stub-upstreams-unreadable": {MsgSayRsStubUnreadable},
	"resolv.stub-upstreams-error":      {MsgSayRsStubError},
	"resolv.stub-no-upstream-servers":  {MsgSayRsStubNoUpstreams},
	"resolv.stub":                      {MsgSayRsStub},
}

// subject is what a finding looked at, escaped: the subjects hostcheck
// words itself ("listening sockets", "eth0 (expected)", "default IPv4",
// "nameserver 192.0.2.53") in the chosen language, recognised by the
// finding's code or check and compared with the English hostcheck
// writes, so that an interface or file that happens to have such a name
// is never reworded; every other subject (an interface, a file and line,
// a port line) as it is.
func (tx texts) subject(c hostcheck.Check, f finding.Finding) string {
	arg := func(i int) string {
		if i < len(f.Args) {
			return f.Args[i]
		}
		return ""
	}
	switch {
	case f.Code == "iface.none-found" && f.Subject == "interfaces":
		return tx.get(MsgSubjInterfaces)
	case f.Code == "dns.names" && f.Subject == "names":
		return tx.get(MsgSubjNames)
	case f.Code == hostcheck.CodePortsSummary && f.Subject == "listening sockets":
		return tx.get(MsgSubjListening)
	case strings.HasPrefix(f.Code, "expect.nameservers") && f.Subject == "nameservers (expected)":
		return tx.get(MsgSubjNameserversExpected)
	case strings.HasPrefix(f.Code, "expect.") && f.Subject == arg(0)+" (expected)":
		return tx.get(MsgSubjExpected, Escape(arg(0)))
	case c.Name == hostcheck.CheckRoutes && (f.Subject == "default IPv4" || f.Subject == "default IPv6"):
		return tx.get(MsgSubjDefaultRoute, strings.TrimPrefix(f.Subject, "default "))
	case (c.Name == hostcheck.CheckResolvConf || c.Name == hostcheck.CheckDNS) && f.Code != "resolv.no-file":
		if addr, ok := strings.CutPrefix(f.Subject, "nameserver "); ok {
			return tx.get(MsgSubjNameserver, Escape(addr))
		}
	}
	return Escape(f.Subject)
}

// findingTexts are a finding's message, reason and hint in the chosen
// language, escaped: from the catalogue when the finding has a code, else
// its English fields.
func (tx texts) findingTexts(f finding.Finding) (message, reason, hint string) {
	message, reason, hint = Escape(f.Message), Escape(f.Reason), Escape(f.Hint)
	if f.Code == hostcheck.CodeDNSAnswers && len(f.Args)%2 == 1 {
		args := capAll(f.Args)
		parts := make([]string, 0, len(args)/2)
		for i := 1; i+1 < len(args); i += 2 {
			addrs := args[i+1]
			if addrs == "" {
				addrs = tx.get(MsgSayDNSNoAddress)
			}
			parts = append(parts, tx.get(MsgSayDNSServerSays, args[i], addrs))
		}
		message = args[0] + ": " + strings.Join(parts, "; ")
	}
	if ids, ok := findingIDs[f.Code]; ok {
		texts := [3]*string{&message, &reason, &hint}
		for i, id := range ids {
			if id != "" {
				*texts[i] = tx.getArgs(id, capAll(f.Args))
			}
		}
	}
	if why, ok := reasonIDs[f.ReasonCode]; ok {
		args := capAll(f.ReasonArgs)
		reason, hint = tx.getArgs(why[0], args), tx.getArgs(why[1], args)
	}
	// A resolv.conf line: the parser's problem, then where to edit it.
	if code, ok := strings.CutPrefix(f.ReasonCode, "resolv.line."); ok && len(f.ReasonArgs) >= 2 {
		if id, ok := resolvConfIDs[code]; ok {
			args := capAll(f.ReasonArgs)
			reason, hint = tx.getArgs(id, args[2:]), tx.getArgs(MsgHintResolvLine, args[:2])
		}
	}
	return message, reason, hint
}

// capAll escapes each argument and caps it as a line of text.
func capAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = capText(Escape(a))
	}
	return out
}

// shortAll escapes and caps each argument as a cell.
func shortAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = short(a)
	}
	return out
}

// summaryIDs are the first parts of check summaries, by SummaryCode.
var summaryIDs = map[string]MsgID{
	hostcheck.SummaryInterfaces: MsgSumInterfaces, hostcheck.SummaryInterfacesNone: MsgSumInterfacesNone,
	hostcheck.SummaryRoutes: MsgSumRoutes, hostcheck.SummaryRoutesNone: MsgSumRoutesNone,
	hostcheck.SummaryPorts: MsgSumPorts, hostcheck.SummaryPortsFailed: MsgSumPortsFailed,
	hostcheck.SummaryResolvConf: MsgSumResolvConf, hostcheck.SummaryResolvConfFile: MsgSumResolvConfFile,
	hostcheck.SummaryDNSNotRun: MsgSumDNSNotRun, hostcheck.SummaryDNSNoName: MsgSumDNSNoName, hostcheck.SummaryDNSAsked: MsgSumDNSAsked,
}

// checkSummary is a check's summary in the chosen language: its first
// part from SummaryCode, then the counts of problems, warnings and gaps.
// A summary without a code (an older result) is its English text.
func (tx texts) checkSummary(c hostcheck.Check) string {
	id, ok := summaryIDs[c.SummaryCode]
	if !ok {
		return Escape(c.Summary)
	}
	p, w := c.Counts()
	var parts []string
	if p > 0 {
		parts = append(parts, tx.get(MsgSumProblems, p))
	}
	if w > 0 {
		parts = append(parts, tx.get(MsgSumWarnings, w))
	}
	if len(c.Gaps) > 0 {
		parts = append(parts, tx.get(MsgSumGaps, len(c.Gaps)))
	}
	if len(parts) == 0 {
		parts = append(parts, tx.get(MsgSumAllOK))
	}
	return tx.getArgs(id, shortAll(c.SummaryArgs)) + ": " + strings.Join(parts, ", ")
}

// resolvConfIDs are the texts of resolv.conf problems, by
// resolvconf.Problem.Code.
var resolvConfIDs = map[string]MsgID{
	"long-line":              MsgRCLongLine,
	"many-lines":             MsgRCManyLines,
	"leading-space":          MsgRCLeadingSpace,
	"domain-comment":         MsgRCDomainComment,
	"domain-empty":           MsgRCDomainEmpty,
	"domain-many":            MsgRCDomainMany,
	"search-comment":         MsgRCSearchComment,
	"search-empty":           MsgRCSearchEmpty,
	"sortlist-empty":         MsgRCSortlistEmpty,
	"sortlist-bad":           MsgRCSortlistBad,
	"options-empty":          MsgRCOptionsEmpty,
	"lookup-unknown":         MsgRCLookupUnknown,
	"family-unknown":         MsgRCFamilyUnknown,
	"keyword-unknown":        MsgRCKeywordUnknown,
	"nameserver-empty":       MsgRCNSEmpty,
	"nameserver-many":        MsgRCNSMany,
	"nameserver-not-ip":      MsgRCNSNotIP,
	"nameserver-mapped":      MsgRCNSMapped,
	"nameserver-unspecified": MsgRCNSUnspecified,
	"nameserver-multicast":   MsgRCNSMulticast,
	"nameserver-no-zone":     MsgRCNSNoZone,
	"nameserver-twice":       MsgRCNSTwice,
	"nameserver-too-many":    MsgRCNSTooMany,
	"domain-twice":           MsgRCDomainTwice,
	"domain-invalid":         MsgRCDomainInvalid,
	"search-long":            MsgRCSearchLong,
	"option-unknown":         MsgRCOptionUnknown,
	"option-no-value":        MsgRCOptionNoValue,
	"option-not-number":      MsgRCOptionNotNumber,
	"option-range":           MsgRCOptionRange,
	"option-zero":            MsgRCOptionZero,
	"option-value-ignored":   MsgRCOptionValueIgnored,
}

// reasonIDs are the reason and hint texts of findings, by ReasonCode.
var reasonIDs = map[string][2]MsgID{
	"expect.mismatch":                    {MsgWhyExpectMismatch, MsgHintExpectMismatch},
	"resolv.missing":                     {MsgWhyResolvMissing, MsgHintResolvMissing},
	"resolv.no-listener":                 {MsgWhyResolvNoListener, MsgHintResolvNoListener},
	"resolv.stub-no-listener":            {MsgWhyResolvStubNoListener, MsgHintResolvStubNoListener},
	"resolv.stub-no-upstreams":           {MsgWhyResolvStubNoUp, MsgHintResolvStubNoUp},
	"resolv.no-route":                    {MsgWhyResolvNoRoute, MsgHintResolvNoRoute},
	"resolv.route-rejects":               {MsgWhyResolvRouteRejects, MsgHintResolvRouteRejects},
	"dns.too-many-names":                 {MsgWhyDNSTooMany, MsgHintDNSTooMany},
	"dns.timeout":                        {MsgWhyDNSTimeout, MsgHintDNSTimeout},
	"dns.refused":                        {MsgWhyDNSRefused, MsgHintDNSRefused},
	"dns.unreachable":                    {MsgWhyDNSUnreachable, MsgHintDNSUnreachable},
	"dns.failed":                         {MsgWhyDNSFailed, MsgHintDNSFailed},
	"dns.no-answer":                      {MsgWhyDNSNoAnswer, MsgHintDNSNoAnswer},
	"dns.no-address":                     {MsgWhyDNSNoAddress, MsgHintDNSNoAddress},
	"dns.own-name-no-address":            {MsgWhyDNSOwnNoAddress, MsgHintDNSOwnNoAddress},
	"dns.different":                      {MsgWhyDNSDifferent, MsgHintDNSDifferent},
	"iface.none":                         {MsgWhyIfaceNone, MsgHintIfaceNone},
	"iface.loopback-down":                {MsgWhyIfaceLoDown, MsgHintIfaceLoDown},
	"iface.loopback-no-address":          {MsgWhyIfaceLoNoAddr, MsgHintIfaceLoNoAddr},
	"iface.dad-failed":                   {MsgWhyIfaceDAD, MsgHintIfaceDAD},
	"iface.no-carrier":                   {MsgWhyIfaceNoCarrier, MsgHintIfaceNoCarrier},
	"iface.no-address":                   {MsgWhyIfaceNoAddr, MsgHintIfaceNoAddr},
	"iface.link-local-only":              {MsgWhyIfaceLLOnly, MsgHintIfaceLLOnly},
	"iface.duplicate":                    {MsgWhyIfaceDup, MsgHintIfaceDup},
	"route.none-expected.v4":             {MsgWhyRouteNoneExp4, MsgHintRouteNoneExp4},
	"route.none-expected.v6":             {MsgWhyRouteNoneExp6, MsgHintRouteNoneExp6},
	"route.none.v4":                      {MsgWhyRouteNone4, MsgHintRouteNone4},
	"route.none.v6":                      {MsgWhyRouteNone6, MsgHintRouteNone6},
	"route.gateway-unexpected":           {MsgWhyRouteGwUnexp, MsgHintRouteGwUnexp},
	"route.gateway-off-link":             {MsgWhyRouteGwOffLink, MsgHintRouteGwOffLink},
	"route.iface-missing":                {MsgWhyRouteIfMissing, MsgHintRouteIfMissing},
	"route.iface-down":                   {MsgWhyRouteIfDown, MsgHintRouteIfDown},
	"route.iface-no-carrier":             {MsgWhyRouteIfNoCarrier, MsgHintRouteIfNoCarrier},
	"route.gateway-own":                  {MsgWhyRouteGwOwn, MsgHintRouteGwOwn},
	"route.gateway-not-in-subnet":        {MsgWhyRouteGwSubnet, MsgHintRouteGwSubnet},
	"route.gateway-not-in-subnet-onlink": {MsgWhyRouteGwSubnetOL, MsgHintRouteGwSubnetOL},
}

func (tx texts) verdict(v finding.Verdict) string {
	switch v {
	case finding.OK:
		return tx.get(MsgCheckOK)
	case finding.Warning:
		return tx.get(MsgCheckWarning)
	case finding.Problem:
		return tx.get(MsgCheckProblem)
	}
	return Escape(string(v))
}

// padRight pads s with spaces to n terminal columns.
func padRight(s string, n int) string {
	if w := cellWidth(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}
