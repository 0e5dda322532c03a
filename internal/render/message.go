package render

import "strings"

// Message is a catalogue text used as an error, for the errors the
// commands themselves write (a usage error, a file that is not what a
// flag expects): Error is its English text, so that wrapping and logs see
// English; Localize words it in the user's language.
type Message struct {
	ID   MsgID
	Args []any
}

// Err returns the catalogue text id with args as an error.
func Err(id MsgID, args ...any) error { return &Message{ID: id, Args: args} }

func (m *Message) Error() string { return Text("en", m.ID, m.Args...) }

// Text is the message in lang.
func (m *Message) Text(lang string) string { return Text(lang, m.ID, m.Args...) }

// localized is an error that can word itself in another language.
type localized interface {
	error
	Text(lang string) string
}

// Localize returns err's text with every catalogue message it wraps (a
// Message, an UnsupportedFormatError) worded in lang; the context that
// wraps them ("--policy: …") and errors from elsewhere stay as they are.
func Localize(lang string, err error) string {
	s := err.Error()
	for _, l := range localizedIn(err) {
		s = strings.Replace(s, l.Error(), l.Text(lang), 1)
	}
	return s
}

// localizedIn lists the localized errors in err's tree, outermost first.
func localizedIn(err error) []localized {
	if l, ok := err.(localized); ok {
		return []localized{l}
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			return localizedIn(e)
		}
	case interface{ Unwrap() []error }:
		var out []localized
		for _, e := range u.Unwrap() {
			out = append(out, localizedIn(e)...)
		}
		return out
	}
	return nil
}
