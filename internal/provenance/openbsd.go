package provenance

import (
	"io/fs"
	"slices"
	"strings"

	"github.com/openports/openports/internal/snapshot"
)

// openbsdRC is OpenBSD's rc.conf (the defaults) and rc.conf.local (the
// admin's): a daemon runs when its NAME_flags is not NO; package daemons
// run when pkg_scripts names them.
type openbsdRC struct {
	defaults rcLayer
	local    rcLayer
	scripts  []Script
}

func loadOpenBSD(fsys fs.FS) (*openbsdRC, []error) {
	o := &openbsdRC{}
	var errs []error
	as, es, _ := readVars(fsys, "etc/rc.conf")
	errs = append(errs, es...)
	o.defaults = newLayer("/etc/rc.conf", true, as)
	as, es, _ = readVars(fsys, "etc/rc.conf.local")
	errs = append(errs, es...)
	o.local = newLayer("/etc/rc.conf.local", false, as)
	s, es := readScripts(fsys, "etc/rc.d")
	errs = append(errs, es...)
	o.scripts = s
	return o, errs
}

// names are the rc.d script names that may run a process called proc.
func (o *openbsdRC) names(proc string) []string {
	var out []string
	for _, s := range o.scripts {
		if slices.Contains(s.Procs, proc) {
			out = append(out, s.Name)
		}
	}
	if !slices.Contains(out, proc) {
		out = append(out, proc)
	}
	return out
}

func (o *openbsdRC) resolve(proc string) snapshot.Provenance {
	names := o.names(proc)
	if pk, ok := o.local.vars["pkg_scripts"]; ok {
		for _, n := range names {
			if slices.Contains(strings.Fields(pk.Value), n) {
				return snapshot.Provenance{Verdict: snapshot.ProvenanceEnabled, Init: "openbsd-rc", Service: n, Reason: "rc.conf",
					Evidence: []snapshot.Evidence{{File: pk.File, Line: pk.Line, Text: pk.Text}}}
			}
		}
	}
	for _, n := range names {
		v := n + "_flags"
		if a, ok := o.local.vars[v]; ok {
			ev := []snapshot.Evidence{{File: a.File, Line: a.Line, Text: a.Text}}
			if strings.EqualFold(a.Value, "NO") {
				return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "openbsd-rc", Service: n, Reason: "disabled", Evidence: ev}
			}
			return snapshot.Provenance{Verdict: snapshot.ProvenanceEnabled, Init: "openbsd-rc", Service: n, Reason: "rc.conf", Evidence: ev}
		}
	}
	for _, n := range names {
		v := n + "_flags"
		if a, ok := o.defaults.vars[v]; ok {
			ev := []snapshot.Evidence{{File: a.File, Line: a.Line, Text: a.Text}}
			if strings.EqualFold(a.Value, "NO") {
				return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "openbsd-rc", Service: n, Reason: "disabled", Evidence: ev}
			}
			return snapshot.Provenance{Verdict: snapshot.ProvenanceDefault, Init: "openbsd-rc", Service: n, Reason: "defaults", Evidence: ev}
		}
	}
	return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "openbsd-rc", Service: names[0], Reason: "unset",
		Evidence: []snapshot.Evidence{{Text: names[0] + "_flags not set"}}}
}
