package report

import "github.com/openports/openports/internal/snapshot"

// Provenance and Evidence are the snapshot's vocabulary, named here too
// because a report's processes carry them.
type (
	Provenance = snapshot.Provenance
	Evidence   = snapshot.Evidence
)

// The provenance verdicts (see snapshot.ProvenanceEnabled).
const (
	ProvenanceEnabled    = snapshot.ProvenanceEnabled
	ProvenanceDefault    = snapshot.ProvenanceDefault
	ProvenanceNotEnabled = snapshot.ProvenanceNotEnabled
	ProvenanceUnknown    = snapshot.ProvenanceUnknown
)

// Policy violation kinds.
const (
	// PolicyNew is a row no rule of the policy allows.
	PolicyNew = "new"
	// PolicyMissing is a rule no row matches.
	PolicyMissing = "missing"
	// PolicyExposure is a row whose port the policy allows with another
	// exposure (loopback in the policy, all interfaces now).
	PolicyExposure = "exposure"
	// PolicyOwner is a row whose port and exposure the policy allows for
	// another process or user.
	PolicyOwner = "owner"
	// PolicyOwnerUnknown is a row whose port and exposure the policy
	// allows only for a named process or user, and whose owner could not
	// be seen: neither allowed nor a violation (PolicyResult.Unproven).
	PolicyOwnerUnknown = "owner-unknown"
)

// PolicyResult is the outcome of comparing the rows with a policy file.
type PolicyResult struct {
	// File is the policy file.
	File string `json:"file"`
	// Rules is how many rules it has.
	Rules int `json:"rules"`
	// Violations are what differs, in row order, missing rules last.
	Violations []PolicyViolation `json:"violations"`
	// Unproven are the rows a rule allows only for a named process or
	// user while their owner could not be seen (kind owner-unknown): not
	// violations, and not allowed either; any makes the view incomplete.
	Unproven []PolicyViolation `json:"unproven,omitempty"`
}

// PolicyViolation is one difference between what listens and the policy.
type PolicyViolation struct {
	// Kind is new, missing, exposure or owner; owner-unknown in
	// PolicyResult.Unproven.
	Kind string `json:"kind"`
	// Proto, Address, Port and Exposure say where: the row's, or for a
	// missing rule the rule's (Port is its first port).
	Proto    string            `json:"proto"`
	Address  string            `json:"address,omitempty"`
	Port     uint16            `json:"port"`
	Exposure snapshot.Exposure `json:"exposure,omitempty"`
	// Process is the row's root process name, if any.
	Process string `json:"process,omitempty"`
	// Published says a DNAT rule publishes the port; Container names
	// the container or pod it goes to (a missing rule's container).
	Published bool   `json:"published,omitempty"`
	Container string `json:"container,omitempty"`
	// Allowed is the owner the rule allows, for owner-unknown ("process
	// sshd, user root").
	Allowed string `json:"allowed,omitempty"`
	// Rule is the policy rule involved ("policy.yaml:12"), "" for new.
	Rule string `json:"rule,omitempty"`
	// Message is its text for people.
	Message Note `json:"message"`
}
