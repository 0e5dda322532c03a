package snapshot

import (
	"net/netip"
	"time"
)

// Scan is what a port scan from another machine saw (nmap -oX): the
// outside view that `list --outside` joins with the inside one.
type Scan struct {
	// Scanner and Args are the scanner's name and command line.
	Scanner string    `json:"scanner"`
	Args    string    `json:"args,omitempty"`
	Started time.Time `json:"started,omitzero"`
	// Scanned are the ports probed per protocol; a probed port that no
	// host lists was in the state of the host's ExtraState.
	Scanned map[Proto][]PortRange `json:"scanned,omitempty"`
	Hosts   []ScanHost            `json:"hosts"`
}

// ScanHost is one scanned address.
type ScanHost struct {
	Addrs     []netip.Addr `json:"addrs"`
	Hostnames []string     `json:"hostnames,omitempty"`
	// Up is the host status nmap gave.
	Up bool `json:"up"`
	// ExtraState is the state of the probed ports not listed (nmap's
	// extraports: "closed", "filtered"); "" when every port is listed.
	ExtraState string     `json:"extra_state,omitempty"`
	Ports      []ScanPort `json:"ports,omitempty"`
}

// ScanPort is one port of a scanned host.
type ScanPort struct {
	Proto Proto  `json:"proto"`
	Port  uint16 `json:"port"`
	// State is nmap's: open, closed, filtered, unfiltered,
	// open|filtered, closed|filtered.
	State string `json:"state"`
	// Reason is why nmap decided so (syn-ack, reset, no-response, ...).
	Reason string `json:"reason,omitempty"`
	// Service is nmap's guess of the service name.
	Service string `json:"service,omitempty"`
}

// Probed reports whether the scan probed port p of proto.
func (s *Scan) Probed(proto Proto, port uint16) bool {
	for _, r := range s.Scanned[proto] {
		if r.Contains(port) {
			return true
		}
	}
	return false
}
