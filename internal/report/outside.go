package report

import "github.com/openports/openports/internal/firewall"

// Outside is a port scan of this host from another machine joined with
// what listens here (`list --outside SCAN.xml`).
type Outside struct {
	Scanner string `json:"scanner"`
	Args    string `json:"args,omitempty"`
	Started string `json:"started,omitempty"` // RFC 3339
	// Ports are the joined ports, by address, protocol and port.
	Ports []OutsidePort `json:"ports"`
	// NotScanned counts reachable rows whose port the scan did not probe.
	NotScanned int `json:"not_scanned,omitempty"`
}

// Joins of the outside view with the inside one (OutsidePort.Join).
const (
	// OutsideExpected: the scan saw it open and a local socket listens.
	OutsideExpected = "expected"
	// OutsidePublished: the scan saw it open, and a DNAT rule publishes
	// it to a container or another host.
	OutsidePublished = "open-published"
	// OutsideFiltered: a local socket listens, the scan did not get in.
	OutsideFiltered = "listening-but-filtered"
	// OutsideUnanswered: a local socket listens and the firewall may let
	// the scan in, but the scan got no answer (nmap's open|filtered: a
	// UDP service that ignores the probe looks the same as a filter).
	OutsideUnanswered = "listening-unanswered"
	// OutsideNoSocket: the scan saw it open, nothing here listens on it:
	// a DNAT rule, or another host answering for this address.
	OutsideNoSocket = "open-without-socket"
	// OutsideNotInPolicy: open from outside and new to the policy.
	OutsideNotInPolicy = "open-not-in-policy"
	// OutsideNotThisHost: the scanned address is none of this host's
	// addresses, so nothing can be joined.
	OutsideNotThisHost = "not-this-host"
	// OutsideAddressUnknown: the snapshot holds no interface addresses,
	// so whether the scanned address is this host's cannot be told.
	OutsideAddressUnknown = "address-not-known"
)

// OutsidePort is one scanned port and what listens on it here.
type OutsidePort struct {
	Address string `json:"address"`
	Proto   string `json:"proto"`
	Port    uint16 `json:"port"`
	// State is the scan's: open, closed, filtered, open|filtered, ...
	State string `json:"state"`
	// Join is one of the Outside* values.
	Join string `json:"join"`
	// Service and Processes name the local row, when there is one;
	// Firewall is its firewall verdict.
	Service string `json:"service,omitempty"`
	// PublishedTo is the DNAT target of a published port.
	PublishedTo string           `json:"published_to,omitempty"`
	Processes   []int            `json:"processes,omitempty"`
	Firewall    firewall.Verdict `json:"firewall,omitempty"`
}
