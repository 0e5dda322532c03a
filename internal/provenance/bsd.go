package provenance

import (
	"io/fs"
	"path"
	"slices"
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
// master; pkgsrc BIND 9 installs rc.d/named9, enabled by named9, for the
// same process name as the base system's named).
var builtin = map[string]Script{
	"master":   {Name: "postfix", Rcvars: []string{"postfix", "postfix_enable"}},
	"named":    {Name: "named", Rcvars: []string{"named", "named_enable"}},
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
		out = append(out, parseScript(fsys, e.Name(), data))
	}
	return out, errs
}

// parseScript reads name=, rcvar=, command=, procname= and daemon= of an
// rc.d script as its top level sets them (functions are not run, nothing
// is sourced).
func parseScript(fsys fs.FS, file string, data []byte) Script {
	s := Script{Name: file}
	env := newShellEnv(fsys)
	env.noSource = true
	env.eval(string(data), "/etc/rc.d/"+file, false)
	val := func(n string) string {
		if v := env.get(n); v != nil && v.Unknown == "" {
			return v.Value
		}
		return ""
	}
	name := val("name")
	if name == "" {
		name = file
	}
	if rcvar := val("rcvar"); rcvar != "" {
		s.Rcvars = strings.Fields(rcvar)
	} else {
		s.Rcvars = []string{name, name + "_enable"}
	}
	for _, c := range []string{val("procname"), val("command"), val("daemon")} {
		if f := strings.Fields(c); len(f) > 0 {
			if b := path.Base(f[0]); !slices.Contains(s.Procs, b) {
				s.Procs = append(s.Procs, b)
			}
		}
	}
	return s
}

// bsdRC is the rc.conf family of NetBSD and FreeBSD.
type bsdRC struct {
	env       *shellEnv // rc.conf as load_rc_config leaves it
	scripts   []Script
	perScript map[string]*shellEnv // with rc.conf.d/<script>
}

// envFor is the environment script s sees: rc.conf plus its own
// /etc/rc.conf.d file.
func (b *bsdRC) envFor(s string) *shellEnv {
	if e, ok := b.perScript[s]; ok {
		return e
	}
	e := b.env
	// A file, or (FreeBSD) a directory of files, per script.
	for _, d := range []string{"/etc/rc.conf.d/", "/usr/local/etc/rc.conf.d/"} {
		st, err := fs.Stat(b.env.fsys, strings.TrimPrefix(d+s, "/"))
		if err != nil {
			continue
		}
		files := []string{d + s}
		if st.IsDir() {
			files = nil
			ents, _ := fs.ReadDir(b.env.fsys, strings.TrimPrefix(d+s, "/"))
			for i, f := range ents {
				if i < 256 && !f.IsDir() {
					files = append(files, d+s+"/"+f.Name())
				}
			}
		}
		if e == b.env && len(files) > 0 {
			e = b.env.clone()
		}
		for _, f := range files {
			e.sourceFile(f)
		}
		b.env.problems = append(b.env.problems, e.problems...)
		e.problems = nil
	}
	b.perScript[s] = e
	return e
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
				// The variables that make the daemon listen come first
				// (sendmail_enable before sendmail_msp_queue_enable).
				rcvars := slices.Clone(bi.Rcvars)
				for _, v := range out[i].Rcvars {
					if !slices.Contains(rcvars, v) {
						rcvars = append(rcvars, v)
					}
				}
				out[i].Rcvars = rcvars
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

// varVerdict is the verdict one rc.conf variable gives.
func varVerdict(init, service string, v *Var) snapshot.Provenance {
	p := snapshot.Provenance{Init: init, Service: service, Evidence: []snapshot.Evidence{{File: v.File, Line: v.Line, Text: v.Text}}}
	yes, known := truth(v.Value)
	switch {
	case v.Unknown == unknownConditional:
		p.Verdict, p.Reason = snapshot.ProvenanceUnknown, "conditional"
	case v.Unknown != "":
		p.Verdict, p.Reason = snapshot.ProvenanceUnknown, "shell-code"
	case !known:
		// checkyesno warns and answers no.
		p.Verdict, p.Reason = snapshot.ProvenanceNotEnabled, "unreadable"
	case yes && v.Defaults:
		p.Verdict, p.Reason = snapshot.ProvenanceDefault, "defaults"
	case yes:
		p.Verdict, p.Reason = snapshot.ProvenanceEnabled, "rc.conf"
	case v.Defaults:
		p.Verdict, p.Reason = snapshot.ProvenanceNotEnabled, "defaults-disabled"
	default:
		p.Verdict, p.Reason = snapshot.ProvenanceNotEnabled, "disabled"
	}
	return p
}

// resolve gives the verdict for a process called name: a script that
// enables it wins, then one whose variable is unknown, then one set to
// NO.
func (b *bsdRC) resolve(name string) snapshot.Provenance {
	cands := b.candidates(name)
	if len(cands) == 0 {
		return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "rc.d", Reason: "no-script",
			Evidence: []snapshot.Evidence{{File: "/etc/rc.d"}}}
	}
	var unknown, no *snapshot.Provenance
	for _, s := range cands {
		env := b.envFor(s.Name)
		for _, rv := range s.Rcvars {
			v := env.get(rv)
			if v == nil {
				continue
			}
			p := varVerdict("rc.d", s.Name, v)
			switch p.Verdict {
			case snapshot.ProvenanceEnabled, snapshot.ProvenanceDefault:
				return p
			case snapshot.ProvenanceUnknown:
				if unknown == nil {
					unknown = &p
				}
			default:
				if no == nil {
					no = &p
				}
			}
		}
	}
	if unknown != nil {
		return *unknown
	}
	if no != nil {
		return *no
	}
	return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "rc.d", Service: cands[0].Name, Reason: "unset",
		Evidence: []snapshot.Evidence{{Text: strings.Join(cands[0].Rcvars, ", ")}}}
}

// loadBSD evaluates rc.conf as rc.subr's load_rc_config does and reads
// the /etc/rc.d scripts. NetBSD's /etc/rc.conf sources the defaults
// itself; FreeBSD's rc.subr sources /etc/defaults/rc.conf and then the
// files its rc_conf_files names (/etc/rc.conf /etc/rc.conf.local).
func loadBSD(fsys fs.FS) (*bsdRC, []error) {
	b := &bsdRC{env: newShellEnv(fsys), perScript: map[string]*shellEnv{}}
	b.env.defaults["/etc/defaults/rc.conf"] = true
	if sourcesDefaults(fsys) {
		b.env.sourceFile("/etc/rc.conf")
	} else {
		b.env.sourceFile("/etc/defaults/rc.conf")
		files := "/etc/rc.conf /etc/rc.conf.local"
		if v := b.env.get("rc_conf_files"); v != nil && v.Unknown == "" {
			files = v.Value
		}
		for i, f := range strings.Fields(files) {
			if i >= 16 {
				break
			}
			b.env.sourceFile(f)
		}
	}
	s, es := readScripts(fsys, "etc/rc.d")
	b.scripts = s
	return b, append(b.env.problems, es...)
}

// sourcesDefaults reports whether /etc/rc.conf sources
// /etc/defaults/rc.conf itself (NetBSD).
func sourcesDefaults(fsys fs.FS) bool {
	data, err := readLimited(fsys, "etc/rc.conf")
	if err != nil {
		return false
	}
	cmds, _ := lexShell(string(data))
	for _, c := range cmds {
		w := c.words
		for len(w) > 0 && (w[0] == "then" || w[0] == "else" || w[0] == "{") {
			w = w[1:]
		}
		if len(w) >= 2 && (w[0] == "." || w[0] == "source") && strings.Contains(w[1], "defaults/rc.conf") {
			return true
		}
	}
	return false
}
