package knowledge

import "fmt"

// Severity is how much an exposed service deserves attention. Severities are
// ordered: Info < Review < Risky < Dangerous.
type Severity int

// The severities, in increasing order.
const (
	// Info: expected and harmless in this exposure.
	Info Severity = iota + 1
	// Review: fine when intended; check that it is.
	Review
	// Risky: exposes data or an attack surface; restrict unless needed.
	Risky
	// Dangerous: should never be reachable like this.
	Dangerous
)

var severityNames = [...]string{Info: "info", Review: "review", Risky: "risky", Dangerous: "dangerous"}

var severityJA = [...]string{Info: "情報", Review: "要確認", Risky: "要注意", Dangerous: "危険"}

// String returns the stable lower-case name ("info", "review", "risky",
// "dangerous"), or "Severity(N)" for an invalid value.
func (s Severity) String() string {
	if s.Valid() {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Valid reports whether s is one of the defined severities.
func (s Severity) Valid() bool { return s >= Info && s <= Dangerous }

// Label returns the severity's name for people in lang ("en" or "ja").
func (s Severity) Label(lang string) string {
	if s.Valid() && NormalizeLang(lang) == LangJA {
		return severityJA[s]
	}
	return s.String()
}

// MarshalText encodes s by its stable name; an invalid severity is an error.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("marshal severity: invalid value %d", int(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText decodes a stable name written by MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity returns the severity named name ("info", "review", "risky"
// or "dangerous").
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && n == name {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, review, risky or dangerous)", name)
}
