package knowledge

import "github.com/openports/openports/internal/snapshot"

// Severity is the snapshot's vocabulary for how much an exposed service
// deserves attention; the knowledge base rates services with it.
type Severity = snapshot.Severity

// The severities, in increasing order.
const (
	Info      = snapshot.Info
	Review    = snapshot.Review
	Risky     = snapshot.Risky
	Dangerous = snapshot.Dangerous
)

// ParseSeverity returns the severity named name.
func ParseSeverity(name string) (Severity, error) { return snapshot.ParseSeverity(name) }
