package hostcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/openports/openports/internal/hostcheck/finding"
	"github.com/openports/openports/internal/hostcheck/ifaces"
	"github.com/openports/openports/internal/hostcheck/resolvconf"
)

// Expectations are what the administrator says the host should look like,
// read from a YAML file (--expect FILE):
//
//	interfaces:
//	  - name: eth0
//	    up: true
//	    mtu: 1500
//	    addresses: [192.0.2.10/24, 2001:db8::10/64]
//	gateways: [192.0.2.1, 2001:db8::1]
//	nameservers: [192.0.2.53]
//	resolve: [www.example.org]
//
// A mismatch is a problem that shows both values.
type Expectations struct {
	Interfaces  []ExpectedInterface `yaml:"interfaces"`
	Gateways    []netip.Addr        `yaml:"gateways"`
	Nameservers []netip.Addr        `yaml:"nameservers"`
	Resolve     []string            `yaml:"resolve"`
}

// ExpectedInterface is one interface as it should be. Unset fields are not
// checked.
type ExpectedInterface struct {
	Name      string         `yaml:"name"`
	Up        *bool          `yaml:"up"`
	MTU       int            `yaml:"mtu"`
	Addresses []netip.Prefix `yaml:"addresses"`
}

// ParseExpectations reads an expectations file. Unknown keys are errors,
// so that a misspelt key is not silently ignored.
func ParseExpectations(r io.Reader, name string) (*Expectations, error) {
	// One byte past the limit tells a file that was cut from one that
	// ends there: a cut specification is refused, never half-checked.
	const limit = 1 << 20
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("read %s: larger than %d bytes, the limit of an expectations file", name, limit)
	}
	var e Expectations
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&e); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	for k, i := range e.Interfaces {
		if i.Name == "" {
			return nil, fmt.Errorf("parse %s: interface %d has no name", name, k+1)
		}
	}
	return &e, nil
}

// interfaceFindings compares the interfaces with the expectations.
func (e *Expectations) interfaceFindings(ifs []ifaces.Interface) []finding.Finding {
	if e == nil {
		return nil
	}
	var out []finding.Finding
	for _, want := range e.Interfaces {
		var got *ifaces.Interface
		for k := range ifs {
			if ifs[k].Name == want.Name {
				got = &ifs[k]
			}
		}
		subject := want.Name + " (expected)"
		if got == nil {
			f := mismatch(subject, "", "present", "absent")
			f.Say("expect.absent", []string{want.Name}, fmt.Sprintf("interface %s does not exist", want.Name))
			out = append(out, f)
			continue
		}
		ok := true
		if want.Up != nil && *want.Up != got.Up {
			f := mismatch(subject, "", upWord(*want.Up), upWord(got.Up))
			f.Say("expect.state", []string{want.Name, upWord(got.Up)}, fmt.Sprintf("%s is %s", want.Name, upWord(got.Up)))
			out = append(out, f)
			ok = false
		}
		if want.MTU != 0 && want.MTU != got.MTU {
			f := mismatch(subject, "", fmt.Sprint(want.MTU), fmt.Sprint(got.MTU))
			f.Say("expect.mtu", []string{want.Name, fmt.Sprint(got.MTU)}, fmt.Sprintf("%s has MTU %d", want.Name, got.MTU))
			out = append(out, f)
			ok = false
		}
		if len(want.Addresses) > 0 {
			var have []string
			for _, a := range got.Addrs {
				have = append(have, a.Prefix.String())
			}
			var missing []string
			for _, p := range want.Addresses {
				if !slices.Contains(have, p.String()) {
					missing = append(missing, p.String())
				}
			}
			if len(missing) > 0 {
				f := mismatch(subject, "", joinPrefixes(want.Addresses), strings.Join(have, ", "))
				f.Say("expect.lacks", []string{want.Name, strings.Join(missing, ", ")}, fmt.Sprintf("%s lacks %s", want.Name, strings.Join(missing, ", ")))
				out = append(out, f)
				ok = false
			}
		}
		if ok {
			f := finding.Finding{Subject: subject, Verdict: finding.OK}
			f.Say("expect.ok", []string{want.Name}, want.Name+" is as expected")
			out = append(out, f)
		}
	}
	return out
}

// nameserverFindings compares the used nameservers with the expectations.
func (e *Expectations) nameserverFindings(cfg *resolvconf.Config) []finding.Finding {
	if e == nil || len(e.Nameservers) == 0 {
		return nil
	}
	var got []string
	if cfg != nil {
		for _, ns := range cfg.Used() {
			got = append(got, ns.Addr.String())
		}
	}
	var want []string
	for _, a := range e.Nameservers {
		want = append(want, a.String())
	}
	if slices.Equal(got, want) {
		f := finding.Finding{Subject: "nameservers (expected)", Verdict: finding.OK}
		f.Say("expect.nameservers-ok", []string{strings.Join(got, ", ")}, "nameservers are as expected: "+strings.Join(got, ", "))
		return []finding.Finding{f}
	}
	if len(got) == 0 {
		got = []string{"none"}
	}
	f := mismatch("nameservers (expected)", "", strings.Join(want, ", "), strings.Join(got, ", "))
	f.Say("expect.nameservers", nil, "the nameservers are not the expected ones")
	if cfg != nil {
		f.File = cfg.File
	}
	return []finding.Finding{f}
}

func mismatch(subject, msg, expected, actual string) finding.Finding {
	f := finding.Finding{Subject: subject, Message: msg, Expected: expected, Actual: actual}
	f.Why(finding.Problem, "expect.mismatch", []string{expected, actual}, fmt.Sprintf("expected %s, found %s", expected, actual),
		"fix the host or the expectations file")
	return f
}

func upWord(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func joinPrefixes(ps []netip.Prefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ", ")
}
