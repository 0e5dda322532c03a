package knowledge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/openports/openports/internal/snapshot"
)

// The generated form (base.bin) is a validated Base written compactly:
// numbers are unsigned varints, strings a varint length and their bytes,
// lists a varint count and their items, per-key lists and severities a
// count and their values in a fixed key order; the same data always
// encodes to the same bytes.
// Load decodes it from the embedded string without copying the strings:
// every string of the base is a substring of the embedded data.
//
// The layout, after the magic:
//
//	entries: count, then per entry: id, name, service, kind,
//	         ports, also_ports (count, then proto, first, last each),
//	         description, risk, restrict (en, ja each), sources,
//	         file, line, processes (count, then where the names of each
//	         of processKeys end, then the names), port_confirmed
//	         (lower-case names), patterns, shares, preferred_on, fallback
//	         id ("" for none), severity (count, then the value of each of
//	         Exposures), stop, stop_ja (as processes, by stopKeys)
//	messages: count, then id, severity (0 for none), text, detail
//
// Bump the version in codecMagic whenever the layout changes.
const codecMagic = "openports-knowledge\x00v3\x00"

// encode writes b in the generated form.
func encode(b *Base) []byte {
	w := &writer{buf: []byte(codecMagic)}
	w.uint(uint64(len(b.entries)))
	for _, e := range b.entries {
		w.str(e.ID)
		w.str(e.Name)
		w.str(e.Service)
		w.str(string(e.Kind))
		w.ports(e.Ports)
		w.ports(e.AlsoPorts)
		w.text(e.Description)
		w.text(e.Risk)
		w.text(e.Restrict)
		w.strs(e.Sources)
		w.str(e.File)
		w.uint(uint64(e.Line))
		w.keyed(&e.processes)
		w.strs(e.portConfirmed)
		w.strs(e.patterns)
		w.strs(e.shares)
		w.strs(e.preferredOn)
		if e.fallback != nil {
			w.str(e.fallback.ID)
		} else {
			w.str("")
		}
		w.uint(uint64(len(e.severity)))
		for _, s := range e.severity {
			w.uint(uint64(s))
		}
		w.keyed(&e.stop)
		w.keyed(&e.stopJA)
	}
	w.uint(uint64(len(b.msgOrder)))
	for _, id := range b.msgOrder {
		m := b.messages[id]
		w.str(m.ID)
		w.uint(uint64(m.Severity))
		w.text(m.Text)
		w.text(m.Detail)
	}
	return w.buf
}

type writer struct{ buf []byte }

func (w *writer) uint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }

func (w *writer) str(s string) {
	w.uint(uint64(len(s)))
	w.buf = append(w.buf, s...)
}

func (w *writer) strs(list []string) {
	w.uint(uint64(len(list)))
	for _, s := range list {
		w.str(s)
	}
}

func (w *writer) text(t Text) {
	w.str(t.EN)
	w.str(t.JA)
}

func (w *writer) ports(specs []PortSpec) {
	w.uint(uint64(len(specs)))
	for _, p := range specs {
		w.str(string(p.Proto))
		w.uint(uint64(p.First))
		w.uint(uint64(p.Last))
	}
}

func (w *writer) keyed(k *keyedLists) {
	w.uint(uint64(len(k.end)))
	for _, end := range k.end {
		w.uint(uint64(end))
	}
	w.strs(k.all)
}

// decode reads a base in the generated form. It checks the form's
// integrity (lengths, counts, references, severities), not what Parse
// validates: the form is only ever generated from validated data.
func decode(data string) (*Base, error) {
	if len(data) < len(codecMagic) || data[:len(codecMagic)] != codecMagic {
		return nil, errors.New("not a knowledge base of this version (bad magic)")
	}
	r := &reader{s: data, off: len(codecMagic)}
	b := &Base{byID: map[string]*Entry{}, messages: map[string]*Message{}}
	n := r.count()
	all := make([]Entry, n) // one allocation for every entry
	b.entries = make([]*Entry, n)
	fallbacks := make([]string, n)
	for i := range all {
		if r.err != nil {
			break
		}
		e := &all[i]
		b.entries[i] = e
		e.order = i
		e.ID = r.str()
		e.Name = r.str()
		e.Service = r.str()
		e.Kind = Kind(r.str())
		e.Ports = r.ports()
		e.AlsoPorts = r.ports()
		e.Description = r.text()
		e.Risk = r.text()
		e.Restrict = r.text()
		e.Sources = r.strs()
		e.File = r.str()
		e.Line = r.int()
		r.keyed(&e.processes)
		e.portConfirmed = r.strs()
		e.patterns = r.strs()
		e.shares = r.strs()
		e.preferredOn = r.strs()
		fallbacks[i] = r.str()
		if ns := r.int(); r.err == nil && ns != len(e.severity) {
			r.fail("entry %q: %d severities, want %d", e.ID, ns, len(e.severity))
		}
		for x := range e.severity {
			s := Severity(r.int())
			if r.err == nil && !s.Valid() {
				r.fail("entry %q: invalid severity %d", e.ID, int(s))
			}
			e.severity[x] = s
		}
		r.keyed(&e.stop)
		r.keyed(&e.stopJA)
		if _, dup := b.byID[e.ID]; dup && r.err == nil {
			r.fail("duplicate entry %q", e.ID)
		}
		b.byID[e.ID] = e
	}
	nm := r.count()
	msgs := make([]Message, nm)
	for i := range msgs {
		if r.err != nil {
			break
		}
		m := &msgs[i]
		m.ID = r.str()
		m.Severity = Severity(r.int())
		if r.err == nil && m.Severity != 0 && !m.Severity.Valid() {
			r.fail("message %q: invalid severity %d", m.ID, int(m.Severity))
		}
		m.Text = r.text()
		m.Detail = r.text()
		if _, dup := b.messages[m.ID]; dup && r.err == nil {
			r.fail("duplicate message %q", m.ID)
		}
		b.messages[m.ID] = m
		b.msgOrder = append(b.msgOrder, m.ID)
	}
	if r.err == nil && r.off != len(r.s) {
		r.fail("%d bytes after the last message", len(r.s)-r.off)
	}
	if r.err != nil {
		return nil, r.err
	}
	for i, id := range fallbacks {
		if id == "" {
			continue
		}
		fb, ok := b.byID[id]
		if !ok {
			return nil, fmt.Errorf("entry %q: unknown fallback %q", b.entries[i].ID, id)
		}
		b.entries[i].fallback = fb
	}
	b.index()
	return b, nil
}

// reader reads the generated form. After the first error every read
// returns a zero value and err keeps that error.
type reader struct {
	s    string
	off  int
	err  error
	slab []string // backing store of the string lists, cut as they are read
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("offset %d: %s", r.off, fmt.Sprintf(format, args...))
	}
}

// uint reads an unsigned varint.
func (r *reader) uint() uint64 {
	if r.err != nil {
		return 0
	}
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if r.off >= len(r.s) {
			r.fail("truncated number")
			return 0
		}
		c := r.s[r.off]
		r.off++
		if shift == 63 && c > 1 {
			break
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	r.fail("number overflows 64 bits")
	return 0
}

// int reads a number that must fit an int32 (lines, severities).
func (r *reader) int() int {
	v := r.uint()
	if v > math.MaxInt32 {
		r.fail("number %d out of range", v)
		return 0
	}
	return int(v)
}

// count reads a length or an item count: every item takes at least one
// byte, so a count above the bytes left is corrupt (and never allocated).
func (r *reader) count() int {
	v := r.uint()
	if v > uint64(len(r.s)-r.off) {
		r.fail("count %d exceeds the %d bytes left", v, len(r.s)-r.off)
		return 0
	}
	return int(v)
}

func (r *reader) str() string {
	n := r.count()
	s := r.s[r.off : r.off+n]
	r.off += n
	return s
}

// strs reads a list of strings; an empty list is nil, as Parse leaves it.
func (r *reader) strs() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	if len(r.slab) < n {
		r.slab = make([]string, max(n, 1024))
	}
	// The full slice expression caps the list at its length, so that an
	// append to it copies instead of overwriting the next list.
	out := r.slab[:n:n]
	r.slab = r.slab[n:]
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *reader) text() Text { return Text{EN: r.str(), JA: r.str()} }

func (r *reader) ports() []PortSpec {
	n := r.count()
	if n == 0 {
		return nil
	}
	out := make([]PortSpec, n)
	for i := range out {
		p := PortSpec{Proto: snapshot.Proto(r.str())}
		first, last := r.uint(), r.uint()
		if r.err == nil && (first == 0 || last < first || last > math.MaxUint16) {
			r.fail("invalid port range %d-%d", first, last)
		}
		p.First, p.Last = uint16(first), uint16(last)
		out[i] = p
	}
	return out
}

func (r *reader) keyed(k *keyedLists) {
	if n := r.int(); r.err == nil && n != len(k.end) {
		r.fail("%d keyed lists, want %d", n, len(k.end))
	}
	for i := range k.end {
		k.end[i] = uint32(r.int())
	}
	k.all = r.strs()
	prev := uint32(0)
	for _, end := range k.end {
		if r.err == nil && (end < prev || int(end) > len(k.all)) {
			r.fail("keyed list ends %v do not fit %d strings", k.end, len(k.all))
		}
		prev = end
	}
	if r.err == nil && int(prev) != len(k.all) {
		r.fail("keyed list ends %v do not fit %d strings", k.end, len(k.all))
	}
}
