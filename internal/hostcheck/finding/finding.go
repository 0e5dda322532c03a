// Package finding holds the verdict vocabulary every part of `openports
// check` reports in: one Finding per thing looked at, with a verdict, what was
// seen, why it is wrong and what to look at.
package finding

// Verdict is the outcome of one item of the checklist.
type Verdict string

// The verdicts, from best to worst.
const (
	OK      Verdict = "ok"
	Warning Verdict = "warning"
	Problem Verdict = "problem"
)

// rank orders verdicts so that the worst can be picked.
func (v Verdict) rank() int {
	switch v {
	case OK:
		return 0
	case Warning:
		return 1
	case Problem:
		return 2
	}
	return 2
}

// Worse returns the worse of v and w. An unknown verdict counts as Problem.
func (v Verdict) Worse(w Verdict) Verdict {
	worst := v
	if w.rank() > v.rank() {
		worst = w
	}
	if worst.rank() == 2 {
		return Problem
	}
	return worst
}

// Finding is one item of the checklist and its verdict.
type Finding struct {
	// Subject names what was looked at: an interface, a file and line, a
	// nameserver, a route.
	Subject string  `json:"subject"`
	Verdict Verdict `json:"verdict"`
	// Message says what was seen, in a sentence (English).
	Message string `json:"message"`
	// Code, when set, names the finding's texts in the message catalogue
	// of internal/render, which puts Message, Reason and Hint into the
	// chosen language from Code and Args.
	Code string   `json:"code,omitempty"`
	Args []string `json:"args,omitempty"`
	// Reason says why the verdict is not ok ("" when ok).
	Reason string `json:"reason,omitempty"`
	// ReasonCode, when set, names Reason and Hint in the message
	// catalogue of internal/render, with ReasonArgs.
	ReasonCode string   `json:"reason_code,omitempty"`
	ReasonArgs []string `json:"reason_args,omitempty"`
	// Hint says what to look at next ("" when ok).
	Hint string `json:"hint,omitempty"`
	// File and Line locate the finding in a configuration file, when it
	// comes from one.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Expected and Actual show both values of a mismatch with an
	// expectation.
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
}

// Why sets the finding's verdict, its reason and hint in English, and the
// code and arguments renderers word them by in other languages.
func (f *Finding) Why(v Verdict, code string, args []string, reason, hint string) {
	f.Verdict, f.ReasonCode, f.ReasonArgs, f.Reason, f.Hint = v, code, args, reason, hint
}

// Say sets the finding's message in English, and the code and arguments
// renderers word it by in other languages.
func (f *Finding) Say(code string, args []string, message string) {
	f.Code, f.Args, f.Message = code, args, message
}

// Worst returns the worst verdict among fs, OK when fs is empty.
func Worst(fs []Finding) Verdict {
	v := OK
	for _, f := range fs {
		v = v.Worse(f.Verdict)
	}
	return v
}
