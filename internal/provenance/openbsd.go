package provenance

import (
	"io/fs"
	"slices"
	"strings"

	"github.com/openports/openports/internal/snapshot"
)

// openbsdRC is OpenBSD's /etc/rc.conf (the defaults) and
// /etc/rc.conf.local (the admin's): a daemon runs when its NAME_flags is
// not NO; package daemons run when pkg_scripts names them.
type openbsdRC struct {
	env     *shellEnv
	scripts []Script
}

// openbsdKeys are the keys rc.subr's _rc_parse_conf takes besides
// NAME_flags, NAME_rtable, NAME_user and NAME_timeout.
var openbsdKeys = []string{"accounting", "amd_master", "check_quotas", "ipsec", "library_aslr",
	"multicast", "nfs_server", "pexp", "pf", "pkg_scripts", "shlib_dirs", "spamd_black"}

// loadOpenBSD reads rc.conf and rc.conf.local as the release does. Up to
// OpenBSD 5.x /etc/rc.conf was shell that sourced rc.conf.local at its
// end; since then rc.subr's _rc_parse_conf reads both files line by line
// without running them (KEY=value, a # comment cut, one pair of quotes
// removed), and that is what is done when rc.conf does not source
// rc.conf.local.
func loadOpenBSD(fsys fs.FS) (*openbsdRC, []error) {
	o := &openbsdRC{env: newShellEnv(fsys)}
	o.env.defaults["/etc/rc.conf"] = true
	if sourcesLocal(fsys) {
		o.env.sourceFile("/etc/rc.conf")
	} else {
		for _, f := range []string{"etc/rc.conf", "etc/rc.conf.local"} {
			data, err := readLimited(fsys, f)
			if err != nil {
				if !isNotExist(err) {
					o.env.problems = append(o.env.problems, err)
				}
				continue
			}
			parseOpenBSDConf(o.env, "/"+f, string(data))
		}
	}
	s, es := readScripts(fsys, "etc/rc.d")
	o.scripts = s
	return o, append(o.env.problems, es...)
}

// sourcesLocal reports whether /etc/rc.conf sources rc.conf.local (the
// shell rc.conf of OpenBSD 5.x and older).
func sourcesLocal(fsys fs.FS) bool {
	data, err := readLimited(fsys, "etc/rc.conf")
	if err != nil {
		return false
	}
	cmds, _ := lexShell(string(data))
	for _, c := range cmds {
		if len(c.words) >= 2 && (c.words[0] == "." || c.words[0] == "source") &&
			(strings.Contains(c.words[1], "local_rcconf") || strings.Contains(c.words[1], "rc.conf.local")) {
			return true
		}
	}
	return false
}

// parseOpenBSDConf reads a file as _rc_parse_conf does.
func parseOpenBSDConf(e *shellEnv, file, data string) {
	for i, line := range strings.Split(data, "\n") {
		if i >= maxLines {
			break
		}
		l := strings.Trim(line, " \t\r")
		if l == "" || l[0] == '#' || l[0] == '=' {
			continue
		}
		eq := strings.IndexByte(l, '=')
		if eq < 0 {
			continue
		}
		key := strings.ToLower(strings.TrimRight(l[:eq], " \t"))
		if !isName(key) || !(strings.HasSuffix(key, "_flags") || strings.HasSuffix(key, "_rtable") ||
			strings.HasSuffix(key, "_user") || strings.HasSuffix(key, "_timeout") || slices.Contains(openbsdKeys, key)) {
			continue
		}
		val := strings.TrimLeft(l[eq+1:], " \t")
		if h := strings.IndexByte(val, '#'); h >= 0 {
			val = val[:h]
		}
		val = strings.TrimRight(val, " \t")
		text := strings.TrimRight(l[:eq], " \t") + "=" + val // the assignment without its comment
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		}
		e.vars[key] = &Var{Name: key, Value: val, File: file, Line: i + 1, Text: text, Defaults: e.defaults[file]}
	}
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
	const init = "openbsd-rc"
	names := o.names(proc)
	if pk := o.env.get("pkg_scripts"); pk != nil && pk.Unknown == "" {
		for _, n := range names {
			if slices.Contains(strings.Fields(pk.Value), n) {
				p := snapshot.Provenance{Verdict: snapshot.ProvenanceEnabled, Init: init, Service: n, Reason: "rc.conf",
					Evidence: []snapshot.Evidence{{File: pk.File, Line: pk.Line, Text: pk.Text}}}
				if pk.Defaults {
					p.Verdict, p.Reason = snapshot.ProvenanceDefault, "defaults"
				}
				return p
			}
		}
	}
	for _, n := range names {
		v := o.env.get(n + "_flags")
		if v == nil {
			continue
		}
		p := snapshot.Provenance{Init: init, Service: n, Evidence: []snapshot.Evidence{{File: v.File, Line: v.Line, Text: v.Text}}}
		switch {
		case v.Unknown == unknownConditional:
			p.Verdict, p.Reason = snapshot.ProvenanceUnknown, "conditional"
		case v.Unknown != "":
			p.Verdict, p.Reason = snapshot.ProvenanceUnknown, "shell-code"
		case v.Value == "NO" && v.Defaults:
			p.Verdict, p.Reason = snapshot.ProvenanceNotEnabled, "defaults-disabled"
		case v.Value == "NO":
			p.Verdict, p.Reason = snapshot.ProvenanceNotEnabled, "disabled"
		case v.Defaults:
			p.Verdict, p.Reason = snapshot.ProvenanceDefault, "defaults"
		default:
			p.Verdict, p.Reason = snapshot.ProvenanceEnabled, "rc.conf"
		}
		return p
	}
	return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: init, Service: names[0], Reason: "unset",
		Evidence: []snapshot.Evidence{{Text: names[0] + "_flags"}}}
}
