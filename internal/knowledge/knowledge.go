package knowledge

import (
	"bytes"
	_ "embed" // the generated form of the data
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/openports/openports/internal/snapshot"
)

// generated is the compact, pre-validated form of data/*.yaml that Load
// decodes (see codec.go). TestGeneratedCurrent fails when it is stale;
// refresh it with go generate.
//
//go:generate go test -run ^TestGeneratedCurrent$ -update
//go:embed base.bin
var generated string

// Platforms are the operating systems (GOOS names) the data describes.
var Platforms = []string{"linux", "netbsd", "freebsd", "openbsd", "darwin"}

// Shared is the key of process names that are the same on every platform.
const Shared = "shared"

// StopInetd is the Stop key of inetd.conf lines, valid on every platform
// that runs inetd.
const StopInetd = "inetd"

// Exposures are the exposure classes every entry has a severity for, in the
// order openports prints them.
var Exposures = []snapshot.Exposure{snapshot.ExposureLoopback, snapshot.ExposureLinkLocal, snapshot.ExposureAddress, snapshot.ExposureAll}

// Kind says what an entry describes.
type Kind string

const (
	// KindService is a daemon that implements a service itself.
	KindService Kind = "service"
	// KindProtocol is a protocol served by several daemons (DNS, HTTP,
	// SMTP); an unknown process on its port is identified as it.
	KindProtocol Kind = "protocol"
	// KindRelay is a process that holds sockets for services it does not
	// implement (inetd, systemd socket activation, docker-proxy): the
	// service is identified by the port, the relay named by Match.Via.
	KindRelay Kind = "relay"
	// KindRuntime is a language runtime (java, python, node) whose
	// process name says nothing about the program it runs.
	KindRuntime Kind = "runtime"
)

// Entry is one service of the knowledge base. Entries are shared and must
// not be modified.
type Entry struct {
	// ID is the unique, stable identifier (e.g. "openssh").
	ID string
	// Name is the product or protocol name for people (e.g. "OpenSSH server").
	Name string
	// Service is the short label of the SERVICE column (e.g. "ssh").
	Service string
	// Kind says what the entry describes.
	Kind Kind
	// Ports are the ports that identify the service by themselves: no
	// other entry claims them.
	Ports []PortSpec
	// AlsoPorts are ports the service commonly uses that other services
	// share; they confirm an identification but never make one.
	AlsoPorts []PortSpec
	// Description says what the service is.
	Description Text
	// Risk says why exposing it matters.
	Risk Text
	// Restrict says how to keep it but limit who reaches it.
	Restrict Text
	// Sources are where the facts come from (URLs, RFCs, man pages).
	Sources []string
	// File and Line locate the entry in the embedded data.
	File string
	Line int

	processes     keyedLists // by processKeys: names as the tools print them
	portConfirmed []string   // lower case
	patterns      []string
	shares        []string
	preferredOn   []string
	fallback      *Entry
	severity      [numExposures]Severity // by Exposures; 0 when not set
	stop          keyedLists             // by stopKeys
	stopJA        keyedLists             // by stopKeys
	order         int
}

// numPlatforms is len(Platforms) and numExposures len(Exposures): the
// sizes of the arrays that hold per-platform and per-exposure data (a test
// checks that they agree).
const (
	numPlatforms = 5
	numExposures = 4
)

// keyedLists holds one string list per key of a fixed key list
// (processKeys or stopKeys), at the key's position: an entry's processes
// and stop steps, in one slice, cheaper to build and smaller than maps.
type keyedLists struct {
	all []string                 // the lists one after the other
	end [numPlatforms + 1]uint32 // end[i] is where the list of key i ends in all
}

var (
	// processKeys are the keys of Entry.processes.
	processKeys = append([]string{Shared}, Platforms...)
	// stopKeys are the keys of Entry.stop and Entry.stopJA.
	stopKeys = append(slices.Clone(Platforms), StopInetd)
)

// list returns the list at position i, nil when it is empty. It is capped
// at its length, so that an append to it copies instead of overwriting the
// next list.
func (k *keyedLists) list(i int) []string {
	var start uint32
	if i > 0 {
		start = k.end[i-1]
	}
	if start == k.end[i] {
		return nil
	}
	return k.all[start:k.end[i]:k.end[i]]
}

// get returns the list of key, nil when key is not in keys.
func (k *keyedLists) get(keys []string, key string) []string {
	if i := slices.Index(keys, key); i >= 0 && i < len(k.end) {
		return k.list(i)
	}
	return nil
}

// add appends list to the list of key, which must be in keys.
func (k *keyedLists) add(keys []string, key string, list ...string) {
	i := slices.Index(keys, key)
	if i < 0 || i >= len(k.end) || len(list) == 0 {
		return
	}
	k.all = slices.Insert(k.all, int(k.end[i]), list...)
	for j := i; j < len(k.end); j++ {
		k.end[j] += uint32(len(list))
	}
}

// empty reports whether every list is empty.
func (k *keyedLists) empty() bool { return len(k.all) == 0 }

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// Processes returns the process names that serve the entry on os (a GOOS
// name), shared names included; os "" returns the names of every platform.
func (e *Entry) Processes(os string) []string {
	var out []string
	add := func(names []string) {
		for _, n := range names {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	add(e.processes.get(processKeys, Shared))
	if os == "" {
		for _, p := range Platforms {
			add(e.processes.get(processKeys, p))
		}
	} else if os != Shared {
		add(e.processes.get(processKeys, os))
	}
	return out
}

// Severity returns the severity of the service when exposed as exposure
// (one of the snapshot.Exposure* classes). An unknown exposure class gets the
// highest severity of the entry, so that a new class is never understated.
func (e *Entry) Severity(exposure snapshot.Exposure) Severity {
	if i := slices.Index(Exposures, exposure); i >= 0 && i < len(e.severity) && e.severity[i] != 0 {
		return e.severity[i]
	}
	var max Severity
	for _, s := range e.severity {
		max = maxSeverity(max, s)
	}
	return max
}

func maxSeverity(a, b Severity) Severity {
	if a > b {
		return a
	}
	return b
}

// Texts are an entry's human strings in one language.
type Texts struct {
	Description string
	Risk        string
	Restrict    string
}

// Text returns the entry's human strings in lang (see NormalizeLang).
func (e *Entry) Text(lang string) Texts {
	return Texts{Description: e.Description.In(lang), Risk: e.Risk.In(lang), Restrict: e.Restrict.In(lang)}
}

// Keys returns the explanation keys of the entry, for JSON consumers that
// look texts up with Base.Lookup: "entry.ID.description", "entry.ID.risk"
// and "entry.ID.restrict".
func (e *Entry) Keys() []string {
	return []string{"entry." + e.ID + ".description", "entry." + e.ID + ".risk", "entry." + e.ID + ".restrict"}
}

// Stop returns how to stop or disable the service on platform: a GOOS name,
// or StopInetd for inetd.conf lines. Each element is one command or one
// configuration line, with notes ("# ...") in English.
func (e *Entry) Stop(platform string) []string { return e.stop.get(stopKeys, platform) }

// StopText is Stop with its notes in lang; commands and configuration
// lines are the same in every language.
func (e *Entry) StopText(platform, lang string) []string {
	if NormalizeLang(lang) == LangJA {
		return e.stopJA.get(stopKeys, platform)
	}
	return e.stop.get(stopKeys, platform)
}

// stepNote splits a stop step into its command and its note: the text
// after the first "# " at the start of the step or after a space. A "#"
// directly followed by text is a commented-out configuration line, not a
// note.
func stepNote(step string) (cmd, note string, ok bool) {
	for i := 0; i+1 < len(step); i++ {
		if step[i] == '#' && step[i+1] == ' ' && (i == 0 || step[i-1] == ' ') {
			return step[:i], strings.TrimSpace(step[i+2:]), true
		}
	}
	return step, "", false
}

// StopPlatforms lists the platforms Stop has instructions for, in the order
// of Platforms, StopInetd last.
func (e *Entry) StopPlatforms() []string {
	var out []string
	for _, p := range append(slices.Clone(Platforms), StopInetd) {
		if len(e.stop.get(stopKeys, p)) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// HasPort reports whether port on proto is one of the entry's Ports or
// AlsoPorts.
func (e *Entry) HasPort(proto snapshot.Proto, port uint16) bool {
	for _, s := range e.Ports {
		if s.Contains(proto, port) {
			return true
		}
	}
	for _, s := range e.AlsoPorts {
		if s.Contains(proto, port) {
			return true
		}
	}
	return false
}

// Message is a human message that is not about one service: the texts of
// the cross-service rules and of the table, in every language.
type Message struct {
	// ID is the stable key, e.g. "rule.duplicate-listener".
	ID string
	// Severity is the default severity of a finding with this message,
	// zero when the message is not a finding.
	Severity Severity
	// Text is the one-line message. It may hold fmt verbs with explicit
	// argument indexes (%[1]s); every language uses the same verbs.
	Text Text
	// Detail explains the message in a few sentences.
	Detail Text
}

// Base is the loaded, validated knowledge base. It is safe for concurrent
// use.
type Base struct {
	entries  []*Entry
	byID     map[string]*Entry
	byProc   map[string]map[string][]*Entry // platform or Shared -> name -> entries
	byPort   map[portKey]*Entry
	ranges   []rangeClaim
	patterns []patternClaim
	messages map[string]*Message
	msgOrder []string
	// procNames holds, for each key of byProc, its names sorted, so that a
	// cut-off name finds the names it starts by binary search.
	procNames map[string][]string
}

type portKey struct {
	proto snapshot.Proto
	port  uint16
}

type rangeClaim struct {
	spec  PortSpec
	entry *Entry
}

type patternClaim struct {
	pattern string
	entry   *Entry
	// prefix and parts are literal text every name the pattern matches
	// starts with and contains, so that most names are ruled out without
	// path.Match (see literals).
	prefix string
	parts  []string
}

// literals returns the text before pattern's first special character, and
// its literal runs between the wildcards * and ? when it has no character
// class or escape (nil otherwise): a name that lacks the prefix or one of
// the runs cannot match.
func literals(pattern string) (prefix string, parts []string) {
	prefix = pattern
	if i := strings.IndexAny(pattern, "*?[\\"); i >= 0 {
		prefix = pattern[:i]
	}
	if strings.ContainsAny(pattern, "[\\") {
		return prefix, nil
	}
	for _, p := range strings.FieldsFunc(pattern, func(r rune) bool { return r == '*' || r == '?' }) {
		parts = append(parts, p)
	}
	return prefix, parts
}

// mayMatch reports whether name has the literal text of the pattern, which
// path.Match then decides.
func (pc *patternClaim) mayMatch(name string) bool {
	if !strings.HasPrefix(name, pc.prefix) {
		return false
	}
	for _, p := range pc.parts {
		if !strings.Contains(name, p) {
			return false
		}
	}
	return true
}

// Entries returns every entry in data order (files by name, entries in file
// order).
func (b *Base) Entries() []*Entry { return slices.Clone(b.entries) }

// Entry returns the entry with id.
func (b *Base) Entry(id string) (*Entry, bool) {
	e, ok := b.byID[id]
	return e, ok
}

// Message returns the message with id.
func (b *Base) Message(id string) (*Message, bool) {
	m, ok := b.messages[id]
	return m, ok
}

// Messages returns every message id, in data order.
func (b *Base) Messages() []string { return slices.Clone(b.msgOrder) }

// Lookup resolves an explanation key ("entry.ID.description|risk|restrict"
// or "message.ID.text|detail") to its text in lang.
func (b *Base) Lookup(key, lang string) (string, bool) {
	kind, rest, _ := strings.Cut(key, ".")
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return "", false
	}
	id, field := rest[:i], rest[i+1:]
	switch kind {
	case "entry":
		e, ok := b.byID[id]
		if !ok {
			return "", false
		}
		switch field {
		case "description":
			return e.Description.In(lang), true
		case "risk":
			return e.Risk.In(lang), true
		case "restrict":
			return e.Restrict.In(lang), true
		}
	case "message":
		m, ok := b.messages[id]
		if !ok {
			return "", false
		}
		switch field {
		case "text":
			return m.Text.In(lang), true
		case "detail":
			return m.Detail.In(lang), true
		}
	}
	return "", false
}

var loadOnce = sync.OnceValues(func() (*Base, error) {
	b, err := decode(generated)
	if err != nil {
		return nil, fmt.Errorf("knowledge: embedded base.bin: %w (regenerate it with go generate ./internal/knowledge)", err)
	}
	return b, nil
})

// Load returns the embedded knowledge base, decoded on the first call and
// cached after it. The embedded form was validated when it was generated
// from data/*.yaml; decoding it checks only its integrity.
func Load() (*Base, error) { return loadOnce() }

// MustLoad is Load for callers (tests, command wiring) for which invalid
// embedded data is a build defect: it panics on error. The package's own
// tests guarantee that it does not.
func MustLoad() *Base {
	b, err := Load()
	if err != nil {
		panic(err)
	}
	return b
}

// ValidationError is one problem in the data.
type ValidationError struct {
	File  string
	Line  int
	Entry string // entry or message id, "" when not known
	Field string // dotted field path, "" for the whole entry
	Err   error
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	if e.Entry != "" {
		fmt.Fprintf(&b, "%s: ", e.Entry)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %s: ", e.Field)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ValidationError) Unwrap() error { return e.Err }

// rawFile is the YAML form of one data file.
type rawFile struct {
	Entries  []rawEntry   `yaml:"entries"`
	Messages []rawMessage `yaml:"messages"`
	Notes    []Text       `yaml:"notes"`
}

type rawEntry struct {
	ID            string              `yaml:"id"`
	Name          string              `yaml:"name"`
	Service       string              `yaml:"service"`
	Kind          Kind                `yaml:"kind"`
	Ports         []string            `yaml:"ports"`
	AlsoPorts     []string            `yaml:"also_ports"`
	Processes     map[string][]string `yaml:"processes"`
	PortConfirmed []string            `yaml:"port_confirmed"`
	Patterns      []string            `yaml:"process_patterns"`
	SharesProcess []string            `yaml:"shares_process"`
	PreferredOn   []string            `yaml:"preferred_on"`
	Fallback      string              `yaml:"fallback"`
	Severity      map[string]string   `yaml:"severity"`
	Description   Text                `yaml:"description"`
	Risk          Text                `yaml:"risk"`
	Restrict      Text                `yaml:"restrict"`
	Stop          map[string][]string `yaml:"stop"`
	Sources       []string            `yaml:"sources"`
}

type rawMessage struct {
	ID       string `yaml:"id"`
	Severity string `yaml:"severity"`
	Text     Text   `yaml:"text"`
	Detail   Text   `yaml:"detail"`
}

// fieldLines maps dotted field paths of one list item to their lines.
type fieldLines map[string]int

// Parse reads and validates every *.yaml file at the root of fsys. It
// returns all problems found, joined, each naming its file, line and field.
func Parse(fsys fs.FS) (*Base, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("knowledge: list data files: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("knowledge: no *.yaml data files")
	}
	sort.Strings(names)
	l := &loader{b: &Base{
		byID:     map[string]*Entry{},
		messages: map[string]*Message{},
	}, notes: map[string]string{}}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("knowledge: read %s: %w", name, err)
		}
		l.file(name, data)
	}
	l.link()
	if len(l.errs) > 0 {
		return nil, fmt.Errorf("knowledge: invalid data:\n%w", errors.Join(l.errs...))
	}
	return l.b, nil
}

type loader struct {
	b       *Base
	errs    []error
	pending []pendingLink
	notes   map[string]string // English stop note -> Japanese
}

type pendingLink struct {
	e        *Entry
	raw      rawEntry
	lines    fieldLines
	fallback string
}

func (l *loader) fail(file string, line int, id, field string, err error) {
	l.errs = append(l.errs, &ValidationError{File: file, Line: line, Entry: id, Field: field, Err: err})
}

// file decodes one data file strictly and validates its items.
func (l *loader) file(name string, data []byte) {
	var f rawFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			l.fail(name, 1, "", "", errors.New("empty file"))
			return
		}
		l.fail(name, yamlErrLine(err), "", "", fmt.Errorf("decode: %w", err))
		return
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		l.fail(name, extra.Line, "", "", errors.New("more than one YAML document"))
		return
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		l.fail(name, yamlErrLine(err), "", "", fmt.Errorf("decode: %w", err))
		return
	}
	entryLines := itemLines(&root, "entries")
	msgLines := itemLines(&root, "messages")
	for i, re := range f.Entries {
		lines := fieldLines{}
		if i < len(entryLines) {
			lines = entryLines[i]
		}
		l.entry(name, re, lines)
	}
	noteLines := itemLines(&root, "notes")
	for i, n := range f.Notes {
		line := 1
		if i < len(noteLines) {
			line = noteLines[i].line("")
		}
		for _, lang := range n.missing() {
			l.fail(name, line, "", "notes."+lang, errors.New("missing text"))
		}
		if _, dup := l.notes[n.EN]; dup {
			l.fail(name, line, "", "notes", fmt.Errorf("duplicate note %q", n.EN))
		}
		l.notes[n.EN] = n.JA
	}
	for i, rm := range f.Messages {
		lines := fieldLines{}
		if i < len(msgLines) {
			lines = msgLines[i]
		}
		l.message(name, rm, lines)
	}
}

// The regular expressions of the YAML path are compiled on first use, so
// that a process that only Loads does not pay for them at start.
var (
	lineRE    = lazyRE(`line (\d+)`)
	idRE      = lazyRE(`^[a-z0-9][a-z0-9-]*$`)
	serviceRE = lazyRE(`^[a-z0-9][a-z0-9./+-]*$`)
	verbRE    = lazyRE(`%(\[\d+\])?[-+# 0]*\d*[a-zA-Z%]`)
	rfcRE     = lazyRE(`^RFC \d+$`)
	manRE     = lazyRE(`^[A-Za-z0-9_.+-]+\([1-9][a-z]*\)( \S+)?$`)
	msgIDRE   = lazyRE(`^[a-z0-9][a-z0-9.-]*$`)
)

func lazyRE(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// yamlErrLine extracts the first line number of a yaml.v3 error, 1 if none.
func yamlErrLine(err error) int {
	if m := lineRE().FindStringSubmatch(err.Error()); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return n
		}
	}
	return 1
}

// itemLines returns, for each item of the top-level sequence key, the lines
// of its fields by dotted path ("" is the item itself).
func itemLines(root *yaml.Node, key string) []fieldLines {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != key || top.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		var out []fieldLines
		for _, item := range top.Content[i+1].Content {
			fl := fieldLines{"": item.Line}
			walkLines(item, "", fl)
			out = append(out, fl)
		}
		return out
	}
	return nil
}

func walkLines(n *yaml.Node, prefix string, fl fieldLines) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if prefix != "" {
				p = prefix + "." + p
			}
			fl[p] = n.Content[i].Line
			walkLines(n.Content[i+1], p, fl)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", prefix, i)
			fl[p] = c.Line
			walkLines(c, p, fl)
		}
	}
}

// line returns the line of field, or of its closest recorded parent.
func (fl fieldLines) line(field string) int {
	for f := field; ; {
		if n, ok := fl[f]; ok {
			return n
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			return fl[""]
		}
		f = f[:i]
	}
}

func (l *loader) entry(file string, re rawEntry, lines fieldLines) {
	id := re.ID
	bad := func(field string, err error) { l.fail(file, lines.line(field), id, field, err) }
	if !idRE().MatchString(id) {
		bad("id", fmt.Errorf("id %q: want lower-case letters, digits and dashes", id))
	}
	if prev, dup := l.b.byID[id]; dup {
		bad("id", fmt.Errorf("duplicate id, first defined at %s:%d", prev.File, prev.Line))
	}
	if strings.TrimSpace(re.Name) == "" {
		bad("name", errors.New("missing"))
	}
	if !serviceRE().MatchString(re.Service) {
		bad("service", fmt.Errorf("service %q: want a short lower-case label", re.Service))
	}
	kind := re.Kind
	if kind == "" {
		kind = KindService
	}
	switch kind {
	case KindService, KindProtocol, KindRelay, KindRuntime:
	default:
		bad("kind", fmt.Errorf("unknown kind %q (want service, protocol, relay or runtime)", kind))
	}
	e := &Entry{
		ID: id, Name: re.Name, Service: re.Service, Kind: kind,
		Description: re.Description, Risk: re.Risk, Restrict: re.Restrict,
		Sources: nonEmpty(re.Sources), File: file, Line: lines.line(""),
		order: len(l.b.entries),
	}
	for _, t := range []struct {
		field string
		text  Text
	}{{"description", re.Description}, {"risk", re.Risk}, {"restrict", re.Restrict}} {
		for _, lang := range t.text.missing() {
			bad(t.field+"."+lang, errors.New("missing text"))
		}
	}
	e.Ports = l.ports(re.Ports, "ports", bad)
	e.AlsoPorts = l.ports(re.AlsoPorts, "also_ports", bad)
	if kind == KindProtocol && len(e.Ports) == 0 {
		bad("ports", errors.New("a protocol entry needs at least one identifying port"))
	}
	for _, key := range sortedKeys(re.Processes) {
		names := re.Processes[key]
		if key != Shared && !slices.Contains(Platforms, key) {
			bad("processes."+key, fmt.Errorf("unknown platform %q (want %s or %s)", key, strings.Join(Platforms, ", "), Shared))
			continue
		}
		for i, n := range names {
			field := fmt.Sprintf("processes.%s[%d]", key, i)
			if strings.TrimSpace(n) != n || n == "" || strings.ContainsAny(n, "/\t\n") {
				bad(field, fmt.Errorf("process name %q: want a command name without slashes or surrounding spaces", n))
				continue
			}
			e.processes.add(processKeys, key, n)
		}
	}
	for i, n := range re.PortConfirmed {
		if !containsFold(e.Processes(""), n) {
			bad(fmt.Sprintf("port_confirmed[%d]", i), fmt.Errorf("%q is not one of the entry's process names", n))
		}
		if n = strings.ToLower(n); !slices.Contains(e.portConfirmed, n) {
			e.portConfirmed = append(e.portConfirmed, n)
		}
	}
	for i, p := range re.Patterns {
		if _, err := path.Match(p, ""); err != nil || !strings.ContainsAny(p, "*?[") {
			bad(fmt.Sprintf("process_patterns[%d]", i), fmt.Errorf("pattern %q: want a path.Match glob with a wildcard", p))
			continue
		}
		e.patterns = append(e.patterns, strings.ToLower(p))
	}
	e.shares = nonEmpty(re.SharesProcess)
	for i, p := range re.PreferredOn {
		if !slices.Contains(Platforms, p) {
			bad(fmt.Sprintf("preferred_on[%d]", i), fmt.Errorf("unknown platform %q", p))
		}
	}
	if len(re.PreferredOn) > 0 && len(re.SharesProcess) == 0 {
		bad("preferred_on", errors.New("only meaningful with shares_process"))
	}
	e.preferredOn = nonEmpty(re.PreferredOn)
	for _, key := range sortedKeys(re.Severity) {
		v := re.Severity[key]
		i := slices.Index(Exposures, snapshot.Exposure(key))
		if i < 0 || i >= len(e.severity) {
			bad("severity."+key, fmt.Errorf("unknown exposure class %q (want %s)", key, exposureList()))
			continue
		}
		s, err := ParseSeverity(v)
		if err != nil {
			bad("severity."+key, err)
			continue
		}
		e.severity[i] = s
	}
	for _, x := range Exposures {
		if _, ok := re.Severity[string(x)]; !ok {
			bad("severity", fmt.Errorf("missing severity for exposure %q", x))
		}
	}
	for _, key := range sortedKeys(re.Stop) {
		steps := re.Stop[key]
		if key != StopInetd && !slices.Contains(Platforms, key) {
			bad("stop."+key, fmt.Errorf("unknown platform %q (want %s or %s)", key, strings.Join(Platforms, ", "), StopInetd))
			continue
		}
		for i, s := range steps {
			if strings.TrimSpace(s) == "" {
				bad(fmt.Sprintf("stop.%s[%d]", key, i), errors.New("empty step"))
			}
		}
		e.stop.add(stopKeys, key, steps...)
	}
	if len(e.StopPlatforms()) == 0 {
		bad("stop", errors.New("missing: say how to stop the service on at least one platform"))
	}
	if len(re.Sources) == 0 {
		bad("sources", errors.New("missing: every entry needs at least one source"))
	}
	for i, s := range re.Sources {
		if !validSource(s) {
			bad(fmt.Sprintf("sources[%d]", i), fmt.Errorf("source %q: want an https:// URL, \"RFC N\" or a man page \"name(section)\"", s))
		}
	}
	if e.Severity(snapshot.ExposureLoopback) > e.Severity(snapshot.ExposureAll) {
		bad("severity", errors.New("loopback exposure must not be more severe than all-interfaces exposure"))
	}
	l.b.entries = append(l.b.entries, e)
	if _, dup := l.b.byID[id]; !dup {
		l.b.byID[id] = e
	}
	l.pending = append(l.pending, pendingLink{e: e, raw: re, lines: lines, fallback: re.Fallback})
}

func validSource(s string) bool {
	return strings.HasPrefix(s, "https://") && len(s) > len("https://x.y") || rfcRE().MatchString(s) || manRE().MatchString(s)
}

// sortedKeys returns the keys of m in order, so that problems are reported
// in the same order on every run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nonEmpty returns list, or nil when it is empty, so that an empty YAML
// list and a missing one load alike (and survive the generated form).
func nonEmpty(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}

func (l *loader) ports(specs []string, field string, bad func(string, error)) []PortSpec {
	var out []PortSpec
	for i, s := range specs {
		p, err := ParsePortSpec(s)
		if err != nil {
			bad(fmt.Sprintf("%s[%d]", field, i), err)
			continue
		}
		out = append(out, p)
	}
	return out
}

func (l *loader) message(file string, rm rawMessage, lines fieldLines) {
	id := rm.ID
	bad := func(field string, err error) { l.fail(file, lines.line(field), id, field, err) }
	if !msgIDRE().MatchString(id) {
		bad("id", fmt.Errorf("message id %q: want lower-case letters, digits, dots and dashes", id))
	}
	if _, dup := l.b.messages[id]; dup {
		bad("id", errors.New("duplicate message id"))
	}
	m := &Message{ID: id, Text: rm.Text, Detail: rm.Detail}
	if rm.Severity != "" {
		s, err := ParseSeverity(rm.Severity)
		if err != nil {
			bad("severity", err)
		}
		m.Severity = s
	}
	for _, t := range []struct {
		field string
		text  Text
	}{{"text", rm.Text}, {"detail", rm.Detail}} {
		for _, lang := range t.text.missing() {
			bad(t.field+"."+lang, errors.New("missing text"))
		}
		if en, ja := verbs(t.text.EN), verbs(t.text.JA); !slices.Equal(en, ja) {
			bad(t.field, fmt.Errorf("en uses verbs %v but ja uses %v", en, ja))
		}
	}
	if _, dup := l.b.messages[id]; !dup {
		l.b.messages[id] = m
		l.b.msgOrder = append(l.b.msgOrder, id)
	}
}

// verbs returns the sorted fmt verbs of s, so that translations can be
// checked to take the same arguments.
func verbs(s string) []string {
	v := verbRE().FindAllString(s, -1)
	v = slices.DeleteFunc(v, func(x string) bool { return x == "%%" })
	slices.Sort(v)
	return v
}

// isFallback reports whether some relay names e as its fallback.
func (l *loader) isFallback(e *Entry) bool {
	for _, p := range l.pending {
		if p.fallback == e.ID {
			return true
		}
	}
	return false
}

// link builds the indexes and checks what spans entries: port claims,
// process claims, fallbacks and shares.
func (l *loader) link() {
	b := l.b
	for _, p := range l.pending {
		e := p.e
		bad := func(field string, err error) { l.fail(e.File, p.lines.line(field), e.ID, field, err) }
		if p.fallback != "" {
			fb, ok := b.byID[p.fallback]
			switch {
			case !ok:
				bad("fallback", fmt.Errorf("unknown entry %q", p.fallback))
			case e.Kind != KindRelay:
				bad("fallback", errors.New("only a relay entry may have a fallback"))
			default:
				e.fallback = fb
			}
		}
		if e.processes.empty() && len(e.patterns) == 0 && len(e.Ports) == 0 && !l.isFallback(e) {
			bad("processes", errors.New("missing: nothing identifies this entry; give it a process name, a process pattern or an identifying port"))
		}
		for _, key := range e.StopPlatforms() {
			for i, step := range e.Stop(key) {
				cmd, note, ok := stepNote(step)
				if !ok {
					e.stopJA.add(stopKeys, key, step)
					continue
				}
				ja, found := l.notes[note]
				if !found {
					bad(fmt.Sprintf("stop.%s[%d]", key, i), fmt.Errorf("note %q has no Japanese translation in the notes of a data file", note))
					ja = note
				}
				e.stopJA.add(stopKeys, key, cmd+"# "+ja)
			}
		}
		for i, s := range e.shares {
			if _, ok := b.byID[s]; !ok || s == e.ID {
				bad(fmt.Sprintf("shares_process[%d]", i), fmt.Errorf("unknown entry %q", s))
			}
		}
		for i, spec := range e.Ports {
			for _, other := range l.pending {
				if other.e == e || other.e.order > e.order {
					continue
				}
				for _, os := range other.e.Ports {
					if spec.overlaps(os) {
						bad(fmt.Sprintf("ports[%d]", i), fmt.Errorf("%s is already claimed by %s (%s:%d); list it under also_ports of one of them", spec, other.e.ID, other.e.File, other.e.Line))
					}
				}
			}
		}
	}
	b.index()
	// A process name may serve two entries on one platform only when both
	// say so (shares_process), e.g. OpenSMTPD's and Postfix's smtpd.
	for _, os := range Platforms {
		seen := map[string]*Entry{}
		for _, e := range b.entries {
			for _, n := range e.Processes(os) {
				n = strings.ToLower(n)
				prev, ok := seen[n]
				if !ok {
					seen[n] = e
					continue
				}
				if prev == e {
					continue
				}
				if !slices.Contains(e.shares, prev.ID) || !slices.Contains(prev.shares, e.ID) {
					l.fail(e.File, e.Line, e.ID, "processes", fmt.Errorf("process %q on %s is also claimed by %s (%s:%d); add shares_process to both entries if intended", n, os, prev.ID, prev.File, prev.Line))
				}
			}
		}
	}
}

// index builds the lookup indexes of Identify and Explain from b.entries:
// ports, port ranges, process patterns and process names. Parse and decode
// share it, so that both build the same base.
func (b *Base) index() {
	nports, nprocs := 0, 0
	var perKey [len(keyedLists{}.end)]int
	for _, e := range b.entries {
		nports += len(e.Ports)
		nprocs += len(e.processes.all)
		for i := range perKey {
			perKey[i] += len(e.processes.list(i))
		}
	}
	b.byPort = make(map[portKey]*Entry, nports)
	b.byProc = make(map[string]map[string][]*Entry, len(processKeys))
	b.procNames = make(map[string][]string, len(processKeys))
	// Most names belong to one entry: their lists are cut from one slab,
	// capped at one element so that a second entry's append copies.
	slab := make([]*Entry, nprocs)
	for _, e := range b.entries {
		for _, spec := range e.Ports {
			if spec.First == spec.Last {
				b.byPort[portKey{spec.Proto, spec.First}] = e
			} else {
				b.ranges = append(b.ranges, rangeClaim{spec, e})
			}
		}
		for _, pat := range e.patterns {
			prefix, parts := literals(pat)
			b.patterns = append(b.patterns, patternClaim{pattern: pat, entry: e, prefix: prefix, parts: parts})
		}
		for i, key := range processKeys {
			names := e.processes.list(i)
			if len(names) == 0 {
				continue
			}
			idx := b.byProc[key]
			if idx == nil {
				idx = make(map[string][]*Entry, perKey[i])
				b.byProc[key] = idx
				b.procNames[key] = make([]string, 0, perKey[i])
			}
			for _, n := range names {
				n = strings.ToLower(n)
				if es, seen := idx[n]; seen {
					idx[n] = append(es, e)
					continue
				}
				b.procNames[key] = append(b.procNames[key], n)
				slab[0] = e
				idx[n] = slab[:1:1]
				slab = slab[1:]
			}
		}
	}
	for _, names := range b.procNames {
		slices.Sort(names)
	}
}

// exposureList names the exposure classes for an error message.
func exposureList() string {
	names := make([]string, len(Exposures))
	for i, x := range Exposures {
		names[i] = string(x)
	}
	return strings.Join(names, ", ")
}

// Patterns are the process-name globs of the entry (lower case), for the
// explanation.
func (e *Entry) Patterns() []string { return e.patterns }
