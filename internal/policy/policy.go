// Package policy reads and writes the listening policy of a host: a YAML
// file of what may listen (protocol, ports, exposure, process, user), and
// compares a report with it: what is new, what is missing, what changed
// exposure or owner.
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// Version is the policy format version this package reads and writes.
const Version = 1

// maxSize bounds the size of a policy file.
const maxSize = 1 << 20

// Policy is a parsed policy file.
type Policy struct {
	// File names the policy in messages.
	File string
	// Rules are the allow rules, in file order.
	Rules []Rule
}

// Rule allows one protocol and port range with an exposure, optionally
// only for some processes and users, or only as a port published by DNAT
// to some containers.
type Rule struct {
	// Line and Column are where the rule starts in the file (1-based).
	Line, Column int
	// Proto is tcp, udp, udplite, sctp or raw.
	Proto snapshot.Proto
	// First and Last are the port range, inclusive.
	First, Last uint16
	// Exposure is a report exposure class, "" for any.
	Exposure snapshot.Exposure
	// Address restricts an address, link-local or loopback exposure to
	// one address; zero for any.
	Address netip.Addr
	// Processes and Users allowed; empty for any.
	Processes []string
	Users     []string
	// Published allows the port only as published by a DNAT rule (or a
	// user-mode forwarder) for a container; Containers, when given, only
	// to these containers or pods (by name: "web", "default/nginx").
	Published  bool
	Containers []string
	// Service is the service label, for people.
	Service string
	// Comment is free text.
	Comment string
	// Optional rules are never reported missing.
	Optional bool
}

// Where is "FILE:LINE" of the rule in p.
func (p *Policy) Where(r *Rule) string { return fmt.Sprintf("%s:%d", p.File, r.Line) }

// Error is a problem in a policy file, at a line and column.
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

var exposures = []snapshot.Exposure{snapshot.ExposureLoopback, snapshot.ExposureAddress, snapshot.ExposureAll, snapshot.ExposureLinkLocal, snapshot.ExposureDevice}

var protos = []snapshot.Proto{snapshot.TCP, snapshot.UDP, snapshot.UDPLite, snapshot.SCTP, snapshot.Raw}

// Parse reads a policy file. Errors are *Error with the file, line and
// column of the offending node.
func Parse(data []byte, file string) (*Policy, error) {
	if len(data) > maxSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("larger than %d bytes", maxSize)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Line: 1, Column: 1, Msg: "empty policy: want a mapping with version and allow"}
		}
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Column: extra.Column, Msg: "more than one YAML document"}
	}
	p := &Policy{File: file}
	if len(doc.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Column: 1, Msg: "empty policy: want a mapping with version and allow"}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, errAt(file, top, "want a mapping with version and allow, got %s", kindName(top))
	}
	seen := map[string]bool{}
	var allow *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if seen[k.Value] {
			return nil, errAt(file, k, "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		switch k.Value {
		case "version":
			n, err := intValue(v)
			if err != nil || n != Version {
				return nil, errAt(file, v, "version must be %d", Version)
			}
		case "allow":
			if v.Kind != yaml.SequenceNode && !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
				return nil, errAt(file, v, "allow must be a list of rules, got %s", kindName(v))
			}
			allow = v
		default:
			return nil, errAt(file, k, "unknown key %q (want version, allow)", k.Value)
		}
	}
	if !seen["version"] {
		return nil, errAt(file, top, "missing version: %d", Version)
	}
	if allow == nil {
		return p, nil
	}
	for _, n := range allow.Content {
		r, err := parseRule(file, n)
		if err != nil {
			return nil, err
		}
		p.Rules = append(p.Rules, r)
	}
	return p, nil
}

func parseRule(file string, n *yaml.Node) (Rule, error) {
	r := Rule{Line: n.Line, Column: n.Column}
	if n.Kind != yaml.MappingNode {
		return r, errAt(file, n, "a rule must be a mapping (proto, port, exposure, ...), got %s", kindName(n))
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := seen[k.Value]; dup {
			return r, errAt(file, k, "duplicate key %q", k.Value)
		}
		seen[k.Value] = k
		var err error
		switch k.Value {
		case "proto":
			s, e := str(file, v)
			if e != nil {
				return r, e
			}
			if !slices.Contains(protos, snapshot.Proto(s)) {
				err = errAt(file, v, "unknown proto %q (want tcp, udp, udplite, sctp or raw)", s)
			}
			r.Proto = snapshot.Proto(s)
		case "port":
			r.First, r.Last, err = portRange(file, v)
		case "exposure":
			s, e := str(file, v)
			if e != nil {
				return r, e
			}
			if !slices.Contains(exposures, snapshot.Exposure(s)) {
				err = errAt(file, v, "unknown exposure %q (want loopback, address, all, link-local or device)", s)
			}
			r.Exposure = snapshot.Exposure(s)
		case "address":
			s, e := str(file, v)
			if e != nil {
				return r, e
			}
			a, perr := netip.ParseAddr(s)
			if perr != nil {
				err = errAt(file, v, "address %q is not an IP address", s)
			}
			r.Address = a.Unmap()
		case "process":
			r.Processes, err = strList(file, v)
		case "user":
			r.Users, err = strList(file, v)
		case "container":
			r.Containers, err = strList(file, v)
		case "published":
			r.Published, err = boolValue(file, k.Value, v)
		case "service":
			r.Service, err = str(file, v)
		case "comment":
			r.Comment, err = str(file, v)
		case "optional":
			r.Optional, err = boolValue(file, k.Value, v)
		default:
			err = errAt(file, k, "unknown key %q (want proto, port, exposure, address, process, user, published, container, service, comment, optional)", k.Value)
		}
		if err != nil {
			return r, err
		}
	}
	if seen["proto"] == nil {
		return r, errAt(file, n, "rule without proto")
	}
	if seen["port"] == nil {
		return r, errAt(file, n, "rule without port")
	}
	if r.Address.IsValid() {
		switch {
		case r.Exposure == "":
			r.Exposure = report.ExposureAddress
			if r.Address.IsLoopback() {
				r.Exposure = report.ExposureLoopback
			}
		case r.Exposure == report.ExposureAll || r.Exposure == report.ExposureDevice:
			return r, errAt(file, seen["address"], "address with exposure %s: a wildcard has no address", r.Exposure)
		}
	}
	return r, nil
}

func errAt(file string, n *yaml.Node, format string, args ...any) error {
	return &Error{File: file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: ...") into an
// Error; yaml.v3 gives no column for syntax errors, so the column is 1.
func yamlError(file string, err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 1
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, e := strconv.Atoi(rest[:i]); e == nil {
				line = n
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &Error{File: file, Line: line, Column: 1, Msg: msg}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func str(file string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", errAt(file, v, "want a string, got %s", kindName(v))
	}
	return v.Value, nil
}

func strList(file string, v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode {
		s, err := str(file, v)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, errAt(file, v, "want a string or a list of strings, got %s", kindName(v))
	}
	var out []string
	for _, e := range v.Content {
		s, err := str(file, e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errAt(file, v, "empty list: leave the key out to allow any")
	}
	return out, nil
}

// boolValue reads true or false, the value of key.
func boolValue(file, key string, v *yaml.Node) (bool, error) {
	if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
		return false, errAt(file, v, "%s must be true or false", key)
	}
	return v.Value == "true", nil
}

func intValue(v *yaml.Node) (int, error) {
	if v.Kind != yaml.ScalarNode {
		return 0, errors.New("not a number")
	}
	return strconv.Atoi(v.Value)
}

// portRange reads 22, "22" or "8000-8080".
func portRange(file string, v *yaml.Node) (uint16, uint16, error) {
	if v.Kind != yaml.ScalarNode {
		return 0, 0, errAt(file, v, "port must be a number or a range FIRST-LAST, got %s", kindName(v))
	}
	a, b, isRange := strings.Cut(v.Value, "-")
	first, err := strconv.ParseUint(strings.TrimSpace(a), 10, 16)
	if err != nil {
		return 0, 0, errAt(file, v, "port %q is not a number 0-65535 or a range FIRST-LAST", v.Value)
	}
	last := first
	if isRange {
		last, err = strconv.ParseUint(strings.TrimSpace(b), 10, 16)
		if err != nil || last < first {
			return 0, 0, errAt(file, v, "port range %q: want FIRST-LAST with FIRST ≤ LAST ≤ 65535", v.Value)
		}
	}
	return uint16(first), uint16(last), nil
}
