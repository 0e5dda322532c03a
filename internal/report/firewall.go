package report

import "github.com/openports/openports/internal/firewall"

// Firewall is what the host's packet filter does with a new connection
// from another machine to a row's sockets: evaluated for every interface
// and IP version that can carry one.
type Firewall struct {
	// Verdict is open (every probe accepted), blocked (every probe
	// dropped or rejected), partly (some of each, or only from some
	// sources) or unknown (see Reasons). A probe that a DNAT rule sends
	// to another host is judged by the forward chains. The words are
	// firewall's: a row's verdict sums up those of its probes.
	Verdict firewall.Verdict `json:"verdict"`
	// OpenOn lists where the row is open when the verdict is partly:
	// on eth1 over v4, on eth0 over v6 from some sources.
	OpenOn []OpenWhere `json:"open_on,omitempty"`
	// By is the rule that decides: the drop of a blocked row, the last
	// accept of an open one.
	By *firewall.Decision `json:"by,omitempty"`
	// DNAT lists where destination NAT sends the probes (a published
	// container port: "192.0.2.2:80"); the socket itself never sees them.
	DNAT []string `json:"dnat,omitempty"`
	// Reasons say why the verdict is unknown or depends on the source.
	Reasons []firewall.Reason `json:"reasons,omitempty"`
	// Backends are the rule sets evaluated ("nftables",
	// "iptables-legacy"); Notes facts about them ("both-backends").
	Backends []string `json:"backends,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// Probes are the evaluations behind the verdict, one per interface,
	// IP version and destination address.
	Probes []FirewallProbe `json:"probes"`
}

// FirewallProbe is one synthetic packet evaluated.
type FirewallProbe struct {
	Interface string `json:"interface"`
	// Family is ip or ip6.
	Family  string `json:"family"`
	Address string `json:"address"`
	firewall.Result
}

// OpenWhere is one place a partly open row is open: an interface and IP
// version, through a DNAT rule or not, from every source or some.
type OpenWhere struct {
	Interface string `json:"interface"`
	// IP is v4 or v6.
	IP          string `json:"ip"`
	DNAT        bool   `json:"dnat,omitempty"`
	SomeSources bool   `json:"some_sources,omitempty"`
}
