package firewall

import (
	"fmt"
	"strings"
)

// Reason says why a verdict is unknown or depends on the sender: a stable
// code, its named values, and an English sentence for scripts that read
// the JSON (render words the code in the reader's language).
type Reason struct {
	Code   string            `json:"code"`
	Args   map[string]string `json:"args,omitempty"`
	Detail string            `json:"detail"`
}

// Reason codes. The source kinds (a verdict that depends on them is
// partly open) have no arguments; "what" names a part of a rule or of the
// packet as the ruleset or the evaluator describes it ("meta mark",
// "xtables match statistic").
const (
	ReasonSourceAddress = "source-address"
	ReasonSourcePort    = "source-port"
	ReasonSourceRoute   = "source-route"
	ReasonInterface     = "interface"
	ReasonLocalAddress  = "local-address"
	// A match on a value the packet does not fix (a mark, a ct key, a
	// header field): what.
	ReasonUnknownValue = "unknown-value"
	// A condition of the ruleset that depends on more than the packet
	// (a rate limit, a match not translated): what.
	ReasonCondition = "condition"
	// A statement or expression the evaluator does not model: what.
	ReasonUnmodelled   = "unmodelled"
	ReasonDNATTarget   = "dnat-target"    // what
	ReasonDNATUnrouted = "dnat-unrouted"  // target
	ReasonChainNotRead = "chain-not-read" // chain
	ReasonSetNotRead   = "set-not-read"   // set
	ReasonSetDynamic   = "set-dynamic"    // set
	ReasonJumpsTooDeep = "jumps-too-deep"
	ReasonTooManyPaths = "too-many-paths" // max
	ReasonTooManySteps = "too-many-steps" // max
	// Set by analysis: a backend that could not be read (backend, error),
	// an address no interface but loopback carries.
	ReasonBackendUnread = "backend-unread"
	ReasonNoInterface   = "no-interface"
)

// reasonArg is the name of each code's one argument, if it has one.
var reasonArg = map[string]string{
	ReasonUnknownValue: "what", ReasonCondition: "what", ReasonUnmodelled: "what", ReasonDNATTarget: "what",
	ReasonDNATUnrouted: "target", ReasonChainNotRead: "chain", ReasonSetNotRead: "set", ReasonSetDynamic: "set",
	ReasonTooManyPaths: "max", ReasonTooManySteps: "max",
}

// reasonEnglish words each code for the JSON's detail; render's catalogue
// holds the texts users read, in every language.
var reasonEnglish = map[string]string{
	ReasonSourceAddress: "source address",
	ReasonSourcePort:    "source port",
	ReasonSourceRoute:   "route to the source (fib saddr)",
	ReasonInterface:     "interface",
	ReasonLocalAddress:  "local address",
	ReasonUnknownValue:  "a match on a value the packet does not fix: {what}",
	ReasonCondition:     "a condition that depends on more than the packet: {what}",
	ReasonUnmodelled:    "not modelled: {what}",
	ReasonDNATTarget:    "DNAT target not known: {what}",
	ReasonDNATUnrouted:  "no interface of this host routes to the DNAT target {target}",
	ReasonChainNotRead:  "jump to a chain that was not read: {chain}",
	ReasonSetNotRead:    "lookup in a set that was not read: {set}",
	ReasonSetDynamic:    "set @{set} whose elements change with traffic",
	ReasonJumpsTooDeep:  "jumps nested deeper than the kernel allows",
	ReasonTooManyPaths:  "more than {max} evaluation paths",
	ReasonTooManySteps:  "more than {max} rule evaluations (a jump loop?)",
	ReasonBackendUnread: "{backend} could not be read: {error}",
	ReasonNoInterface:   "no interface other than loopback carries this address",
}

// NewReason makes a reason with its English detail.
func NewReason(code string, args map[string]string) Reason {
	d := reasonEnglish[code]
	if d == "" {
		d = code
	}
	for k, v := range args {
		d = strings.ReplaceAll(d, "{"+k+"}", v)
	}
	return Reason{Code: code, Args: args, Detail: d}
}

// ReasonCodes lists every code, for the catalogue's test.
func ReasonCodes() []string {
	out := make([]string, 0, len(reasonEnglish))
	for c := range reasonEnglish {
		out = append(out, c)
	}
	return out
}

// because encodes a code and its argument as the evaluator passes reasons
// around internally (one comparable string per reason and per unknown
// byte); reasonOf decodes it at the Result.
func because(code string, arg any) string {
	return code + "\x1f" + fmt.Sprint(arg)
}

func reasonOf(s string) Reason {
	code, arg, ok := strings.Cut(s, "\x1f")
	if !ok {
		return NewReason(code, nil)
	}
	name := reasonArg[code]
	if name == "" {
		name = "what"
	}
	return NewReason(code, map[string]string{name: arg})
}
