package provenance

import (
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/openports/openports/internal/snapshot"
)

// Script is an rc.d script: what it is called, the variables that enable
// it and the process names its daemon runs as.
type Script struct {
	// Name is the script's file name ("postfix").
	Name string
	// Rcvars are the variables that enable it ("postfix",
	// "sshd_enable"; OpenBSD: "sshd_flags").
	Rcvars []string
	// Procs are the process names of its daemon (basenames of command=,
	// procname= or daemon=).
	Procs []string
}

// builtin maps process names to the scripts and variables of the seed's
// services whose script does not name the process (Postfix runs as
// master; NetBSD's named script was enabled by named9).
var builtin = map[string]Script{
	"master":   {Name: "postfix", Rcvars: []string{"postfix", "postfix_enable"}},
	"named":    {Name: "named", Rcvars: []string{"named9", "named", "named_enable"}},
	"ntpd":     {Name: "ntpd", Rcvars: []string{"ntpd", "ntpd_enable"}},
	"sshd":     {Name: "sshd", Rcvars: []string{"sshd", "sshd_enable"}},
	"inetd":    {Name: "inetd", Rcvars: []string{"inetd", "inetd_enable"}},
	"sendmail": {Name: "sendmail", Rcvars: []string{"sendmail", "sendmail_enable", "sendmail_submit_enable"}},
	"syslogd":  {Name: "syslogd", Rcvars: []string{"syslogd", "syslogd_enable"}},
	"rpcbind":  {Name: "rpcbind", Rcvars: []string{"rpcbind", "rpcbind_enable"}},
}

// readScripts reads the rc.d scripts under dir. Unreadable scripts are
// returned as errors; scripts that say nothing are skipped.
func readScripts(fsys fs.FS, dir string) ([]Script, []error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, nil // no rc.d: nothing to match
	}
	var out []Script
	var errs []error
	for i, e := range ents {
		if i >= 4096 {
			break
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := readLimited(fsys, path.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, parseScript(e.Name(), data))
	}
	return out, errs
}

// parseScript reads name=, rcvar=, command=, procname= and daemon= of an
// rc.d script (only plain top-level assignments; ${name} is expanded).
func parseScript(file string, data []byte) Script {
	s := Script{Name: file}
	vars := map[string]string{"name": file}
	var rcvar, command, procname, daemon string
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		as, _ := parseAssignLine(t, file, 0)
		for _, a := range as {
			v := expandSimple(a.Value, vars)
			vars[a.Name] = v
			switch a.Name {
			case "rcvar":
				rcvar = v
				if strings.Contains(a.Value, "set_rcvar") {
					rcvar = vars["name"] + "_enable"
				}
			case "command":
				command = v
			case "procname":
				procname = v
			case "daemon":
				daemon = v
			}
		}
	}
	name := vars["name"]
	if rcvar != "" {
		s.Rcvars = append(s.Rcvars, rcvar)
	} else {
		s.Rcvars = append(s.Rcvars, name, name+"_enable")
	}
	for _, c := range []string{procname, command, daemon} {
		if f := strings.Fields(c); len(f) > 0 {
			if b := path.Base(f[0]); !slices.Contains(s.Procs, b) {
				s.Procs = append(s.Procs, b)
			}
		}
	}
	return s
}

// expandSimple replaces $name and ${name} by their values in vars; other
// shell expansions are left as written.
func expandSimple(v string, vars map[string]string) string {
	if !strings.Contains(v, "$") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '$' || i+1 >= len(v) {
			b.WriteByte(v[i])
			continue
		}
		j := i + 1
		brace := v[j] == '{'
		if brace {
			j++
		}
		k := j
		for k < len(v) && (v[k] == '_' || (v[k] >= 'a' && v[k] <= 'z') || (v[k] >= 'A' && v[k] <= 'Z') || (v[k] >= '0' && v[k] <= '9')) {
			k++
		}
		if brace && (k >= len(v) || v[k] != '}') {
			b.WriteByte(v[i])
			continue
		}
		val, ok := vars[v[j:k]]
		if !ok || k == j {
			b.WriteByte(v[i])
			continue
		}
		b.WriteString(val)
		if brace {
			k++
		}
		i = k - 1
	}
	return b.String()
}

// rcLayer is one configuration file's assignments.
type rcLayer struct {
	file     string
	defaults bool
	vars     map[string]Assignment // last assignment of each name
}

func newLayer(file string, defaults bool, as []Assignment) rcLayer {
	l := rcLayer{file: file, defaults: defaults, vars: map[string]Assignment{}}
	for _, a := range as {
		l.vars[a.Name] = a
	}
	return l
}

// bsdRC is the rc.conf family of NetBSD and FreeBSD.
type bsdRC struct {
	layers  []rcLayer          // defaults first, the admin's last
	confD   map[string]rcLayer // rc.conf.d/<script>
	scripts []Script
}

// lookup returns the assignment of name that wins for script, and
// whether it came from a defaults file.
func (b *bsdRC) lookup(name, script string) (Assignment, bool, bool) {
	if l, ok := b.confD[script]; ok {
		if a, ok := l.vars[name]; ok {
			return a, false, true
		}
	}
	for i := len(b.layers) - 1; i >= 0; i-- {
		if a, ok := b.layers[i].vars[name]; ok {
			return a, b.layers[i].defaults, true
		}
	}
	return Assignment{}, false, false
}

// candidates are the scripts that may have started a process called name.
func (b *bsdRC) candidates(name string) []Script {
	var out []Script
	for _, s := range b.scripts {
		if slices.Contains(s.Procs, name) {
			out = append(out, s)
		}
	}
	if bi, ok := builtin[name]; ok {
		merged := false
		for i := range out {
			if out[i].Name == bi.Name {
				for _, v := range bi.Rcvars {
					if !slices.Contains(out[i].Rcvars, v) {
						out[i].Rcvars = append(out[i].Rcvars, v)
					}
				}
				merged = true
			}
		}
		if !merged {
			out = append(out, bi)
		}
	}
	if len(out) == 0 {
		for _, s := range b.scripts {
			if s.Name == name {
				out = append(out, s)
			}
		}
	}
	return out
}

// resolve gives the verdict for a process called name.
func (b *bsdRC) resolve(name string) snapshot.Provenance {
	cands := b.candidates(name)
	if len(cands) == 0 {
		return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "rc.d", Reason: "no-script",
			Evidence: []snapshot.Evidence{{File: "/etc/rc.d", Text: "no script runs " + name}}}
	}
	var no *snapshot.Provenance
	var unreadable *snapshot.Provenance
	for _, s := range cands {
		for _, v := range s.Rcvars {
			a, def, ok := b.lookup(v, s.Name)
			if !ok {
				continue
			}
			ev := []snapshot.Evidence{{File: a.File, Line: a.Line, Text: a.Text}}
			yes, known := truth(a.Value)
			switch {
			case !known || a.Expands:
				if unreadable == nil {
					unreadable = &snapshot.Provenance{Verdict: snapshot.ProvenanceUnknown, Init: "rc.d", Service: s.Name, Reason: "unreadable", Evidence: ev}
				}
			case yes && def:
				return snapshot.Provenance{Verdict: snapshot.ProvenanceDefault, Init: "rc.d", Service: s.Name, Reason: "defaults", Evidence: ev}
			case yes:
				return snapshot.Provenance{Verdict: snapshot.ProvenanceEnabled, Init: "rc.d", Service: s.Name, Reason: "rc.conf", Evidence: ev}
			default:
				if no == nil {
					no = &snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "rc.d", Service: s.Name, Reason: "disabled", Evidence: ev}
				}
			}
		}
	}
	if unreadable != nil {
		return *unreadable
	}
	if no != nil {
		return *no
	}
	return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "rc.d", Service: cands[0].Name, Reason: "unset",
		Evidence: []snapshot.Evidence{{Text: strings.Join(cands[0].Rcvars, ", ") + " not set"}}}
}

// loadBSD reads /etc/defaults/rc.conf, /etc/rc.conf, /etc/rc.conf.local,
// /etc/rc.conf.d/* and the /etc/rc.d scripts.
func loadBSD(fsys fs.FS) (*bsdRC, []error) {
	b := &bsdRC{confD: map[string]rcLayer{}}
	var errs []error
	for _, f := range []struct {
		name     string
		defaults bool
	}{{"etc/defaults/rc.conf", true}, {"etc/rc.conf", false}, {"etc/rc.conf.local", false}} {
		as, es, ok := readVars(fsys, f.name)
		errs = append(errs, es...)
		if ok {
			b.layers = append(b.layers, newLayer("/"+f.name, f.defaults, as))
		}
	}
	if ents, err := fs.ReadDir(fsys, "etc/rc.conf.d"); err == nil {
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			as, es, ok := readVars(fsys, "etc/rc.conf.d/"+n)
			errs = append(errs, es...)
			if ok {
				b.confD[n] = newLayer("/etc/rc.conf.d/"+n, false, as)
			}
		}
	}
	s, es := readScripts(fsys, "etc/rc.d")
	b.scripts = s
	errs = append(errs, es...)
	return b, errs
}
