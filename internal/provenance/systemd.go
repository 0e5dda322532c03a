package provenance

import (
	"bufio"
	"bytes"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/snapshot"
)

// unitDirs are where systemd looks for system units, most important first.
var unitDirs = []string{"etc/systemd/system", "run/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"}

// presetDirs are where systemd looks for preset files.
var presetDirs = []string{"etc/systemd/system-preset", "run/systemd/system-preset", "usr/lib/systemd/system-preset", "lib/systemd/system-preset"}

// CgroupUnit is what a cgroup path says about who started a process.
type CgroupUnit struct {
	// Kind is "service" (a system unit), "scope" (a transient system
	// scope), "user-service" (a unit of a user's service manager),
	// "session" (a login session or a user's service manager itself),
	// "container", "init" (PID 1's own scope) or "" (no unit: the root).
	Kind string
	// Unit is the unit or scope ("ssh.service", "session-3.scope",
	// "docker-0123abcd.scope").
	Unit string
	// Manager is the user's service manager ("user@1000.service") of a
	// "user-service" unit.
	Manager string
}

// ClassifyCgroup reads a cgroup path.
func ClassifyCgroup(p string) CgroupUnit {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for _, s := range segs {
		switch {
		case strings.HasPrefix(s, "docker-") || strings.HasPrefix(s, "libpod-") || strings.HasPrefix(s, "cri-containerd-") ||
			strings.HasPrefix(s, "crio-") || strings.HasPrefix(s, "kubepods") || s == "docker" || s == "lxc.payload" ||
			strings.HasPrefix(s, "lxc.payload."):
			return CgroupUnit{Kind: "container", Unit: containerUnit(segs)}
		}
	}
	if len(segs) > 0 && segs[0] == "user.slice" {
		for _, s := range segs {
			if strings.HasPrefix(s, "session-") && strings.HasSuffix(s, ".scope") {
				return CgroupUnit{Kind: "session", Unit: s}
			}
		}
		for i, s := range segs {
			if strings.HasPrefix(s, "user@") && strings.HasSuffix(s, ".service") {
				// A unit of the user's own service manager:
				// user@1000.service/app.slice/foo.service.
				for j := len(segs) - 1; j > i; j-- {
					if strings.HasSuffix(segs[j], ".service") || strings.HasSuffix(segs[j], ".socket") {
						return CgroupUnit{Kind: "user-service", Unit: segs[j], Manager: s}
					}
				}
				return CgroupUnit{Kind: "session", Unit: s}
			}
		}
		return CgroupUnit{Kind: "session", Unit: segs[len(segs)-1]}
	}
	for i := len(segs) - 1; i >= 0; i-- {
		s := segs[i]
		switch {
		case s == "init.scope":
			return CgroupUnit{Kind: "init", Unit: s}
		case strings.HasSuffix(s, ".service"):
			return CgroupUnit{Kind: "service", Unit: s}
		case strings.HasSuffix(s, ".scope"):
			return CgroupUnit{Kind: "scope", Unit: s}
		}
	}
	return CgroupUnit{}
}

// containerUnit is the most telling segment of a container's cgroup: its
// scope, else the last segment.
func containerUnit(segs []string) string {
	for _, s := range segs {
		if strings.HasSuffix(s, ".scope") {
			return s
		}
	}
	return segs[len(segs)-1]
}

// unitLine is one Key=Value of a unit file.
type unitLine struct {
	Section, Key, Value string
	Line                int
	// File is the drop-in the line comes from, "" for the unit file.
	File string
}

// unitFile is a unit file, read and parsed when first needed (see
// systemd.load): most verdicts need only the enablement links, and a host
// has hundreds of units.
type unitFile struct {
	Name  string // "ssh.socket"
	File  string // "/lib/systemd/system/ssh.socket"
	Lines []unitLine

	// paths are the files of the unit, most important first (relative to
	// the root); the first that can be read is the unit's.
	paths  []string
	loaded bool
	failed bool // no file could be read: the unit is taken as absent
}

// values returns every value of key in section, the unit file's then its
// drop-ins'; an empty assignment ("ListenStream=") resets the list, as
// systemd does.
func (u *unitFile) values(section, key string) []unitLine {
	var out []unitLine
	for _, l := range u.Lines {
		if l.Section == section && l.Key == key {
			if l.Value == "" {
				out = out[:0]
				continue
			}
			out = append(out, l)
		}
	}
	return out
}

// evidence is where line l was read.
func (u *unitFile) evidence(l unitLine) snapshot.Evidence {
	f := u.File
	if l.File != "" {
		f = l.File
	}
	return snapshot.Evidence{File: f, Line: l.Line, Text: l.Key + "=" + l.Value, Unit: u.Name}
}

// ParseUnit reads a systemd unit file: [Section] headers, Key=Value lines,
// # and ; comments, backslash continuations.
func ParseUnit(data []byte) []unitLine {
	var out []unitLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	section := ""
	n, start := 0, 0
	pending := ""
	for sc.Scan() && n < maxLines {
		n++
		line := strings.TrimSpace(sc.Text())
		if pending == "" {
			start = n
		} else {
			line = pending + " " + line
		}
		if strings.HasSuffix(line, "\\") {
			pending = strings.TrimSuffix(line, "\\")
			continue
		}
		pending = ""
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out = append(out, unitLine{Section: section, Key: strings.TrimSpace(k), Value: strings.TrimSpace(v), Line: start})
	}
	return out
}

// systemd is the unit tree of the observed host.
type systemd struct {
	fsys    fs.FS
	units   map[string]*unitFile // by name, the winning file
	enabled map[string][]link    // unit name -> symlinks in *.wants/*.requires, alias links
	aliases map[string]string    // alias name -> unit name (symlinks in unit directories)
	masked  map[string]string    // unit name -> the symlink to /dev/null
	presets []presetRule
	sockets []*unitFile
	dropins map[string]map[string]string // unit or template -> conf name -> path, first dir wins
	// problems are the unit files and drop-ins that could not be read
	// when they were first needed.
	problems []error
	init     string // "systemd", or "systemd-user" for a user manager's units
	// user is the user manager of each uid, read when first asked.
	user map[string]*systemd
}

// link is a symlink that enables a unit.
type link struct {
	file   string // "/etc/systemd/system/multi-user.target.wants/ssh.service"
	vendor bool   // under /usr/lib or /lib: enabled by the package, statically
}

// presetRule is one enable/disable line of a preset file.
type presetRule struct {
	enable  bool
	pattern string
	file    string
	line    int
	text    string
}

func loadSystemd(fsys fs.FS) (*systemd, []error) {
	return loadUnits(fsys, unitDirs, presetDirs, "systemd")
}

// loadUnits reads the units of dirs (most important first) with their
// drop-ins, aliases, masks and enablement links, and the presets.
func loadUnits(fsys fs.FS, dirs, presets []string, init string) (*systemd, []error) {
	sd := &systemd{fsys: fsys, units: map[string]*unitFile{}, enabled: map[string][]link{},
		aliases: map[string]string{}, masked: map[string]string{}, init: init, user: map[string]*systemd{},
		dropins: map[string]map[string]string{}}
	var errs []error
	dropins := sd.dropins
	for _, dir := range dirs {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			continue
		}
		for i, e := range ents {
			if i >= 8192 {
				break
			}
			name := e.Name()
			if e.IsDir() && strings.HasSuffix(name, ".d") && isUnitName(strings.TrimSuffix(name, ".d")) {
				sub, err := fs.ReadDir(fsys, path.Join(dir, name))
				if err != nil {
					errs = append(errs, err)
					continue
				}
				u := strings.TrimSuffix(name, ".d")
				if dropins[u] == nil {
					dropins[u] = map[string]string{}
				}
				for _, c := range sub {
					if _, seen := dropins[u][c.Name()]; !seen && strings.HasSuffix(c.Name(), ".conf") {
						dropins[u][c.Name()] = path.Join(dir, name, c.Name())
					}
				}
				continue
			}
			if e.IsDir() && (strings.HasSuffix(name, ".wants") || strings.HasSuffix(name, ".requires")) {
				sub, err := fs.ReadDir(fsys, path.Join(dir, name))
				if err != nil {
					errs = append(errs, err)
					continue
				}
				for _, s := range sub {
					sd.enabled[s.Name()] = append(sd.enabled[s.Name()], link{file: "/" + path.Join(dir, name, s.Name()), vendor: vendorDir(dir)})
				}
				continue
			}
			if e.IsDir() || !isUnitName(name) {
				continue
			}
			// A symlink in a unit directory is a mask (-> /dev/null), an
			// alias (another name), or the unit file linked in. An alias
			// link under /etc is what "systemctl enable" makes of the
			// unit's Alias=: enablement by the admin.
			if e.Type()&fs.ModeSymlink != 0 {
				target, err := fs.ReadLink(fsys, path.Join(dir, name))
				if err != nil {
					errs = append(errs, err)
					continue
				}
				switch base := path.Base(target); {
				case target == "/dev/null":
					if _, seen := sd.masked[name]; !seen {
						sd.masked[name] = "/" + path.Join(dir, name)
					}
					continue
				case base != name && isUnitName(base):
					if _, seen := sd.aliases[name]; !seen {
						sd.aliases[name] = base
						sd.enabled[base] = append(sd.enabled[base], link{file: "/" + path.Join(dir, name), vendor: vendorDir(dir)})
					}
					continue
				}
			}
			if u, seen := sd.units[name]; seen {
				u.paths = append(u.paths, path.Join(dir, name)) // read if the first cannot be
				continue
			}
			u := &unitFile{Name: name, paths: []string{path.Join(dir, name)}}
			sd.units[name] = u
			if strings.HasSuffix(name, ".socket") {
				sd.sockets = append(sd.sockets, u)
			}
		}
	}
	sort.Slice(sd.sockets, func(i, j int) bool { return sd.sockets[i].Name < sd.sockets[j].Name })
	sd.presets, errs = loadPresets(fsys, presets, errs)
	return sd, errs
}

// unit returns the unit called name, read; nil when there is none or
// none of its files can be read.
func (sd *systemd) unit(name string) *unitFile {
	u, ok := sd.units[name]
	if !ok || !sd.load(u) {
		return nil
	}
	return u
}

// load reads u's file (the first of its paths that can be read) and its
// drop-ins, once; false when no file of u can be read. What cannot be
// read is a problem of sd.
func (sd *systemd) load(u *unitFile) bool {
	if u.loaded {
		return !u.failed
	}
	u.loaded = true
	var data []byte
	for _, p := range u.paths {
		var err error
		if data, err = readLimited(sd.fsys, p); err != nil {
			sd.problems = append(sd.problems, err)
			continue
		}
		u.File = "/" + p
		break
	}
	if u.File == "" {
		u.failed = true
		return false
	}
	u.Lines = ParseUnit(data)
	confs := map[string]string{}
	for _, d := range []string{template(u.Name), u.Name} { // the template's first, then the instance's
		for c, p := range sd.dropins[d] {
			confs[c] = p
		}
	}
	names := make([]string, 0, len(confs))
	for c := range confs {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		data, err := readLimited(sd.fsys, confs[c])
		if err != nil {
			sd.problems = append(sd.problems, err)
			continue
		}
		for _, l := range ParseUnit(data) {
			l.File = "/" + confs[c]
			u.Lines = append(u.Lines, l)
		}
	}
	return true
}

// readSockets are the socket units that can be read, by name.
func (sd *systemd) readSockets() []*unitFile {
	var out []*unitFile
	for _, s := range sd.sockets {
		if sd.load(s) {
			out = append(out, s)
		}
	}
	return out
}

// vendorDir reports whether links in dir are the packages' (under /usr,
// /lib, /run), not the admin's (/etc) or a user's (~/.config).
func vendorDir(dir string) bool {
	return !strings.HasPrefix(dir, "etc/") && !strings.HasPrefix(dir, "home/") && !strings.HasPrefix(dir, "root/")
}

func isUnitName(n string) bool {
	for _, s := range []string{".service", ".socket", ".target", ".timer", ".path"} {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// loadPresets reads the preset files in systemd's order: by file name over
// all directories, a file in an earlier directory hiding one of the same
// name in a later one.
func loadPresets(fsys fs.FS, dirs []string, errs []error) ([]presetRule, []error) {
	byName := map[string]string{}
	for _, dir := range dirs {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".preset") {
				continue
			}
			if _, ok := byName[e.Name()]; !ok {
				byName[e.Name()] = path.Join(dir, e.Name())
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []presetRule
	for _, n := range names {
		p := byName[n]
		data, err := readLimited(fsys, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i, line := range strings.Split(string(data), "\n") {
			if i >= maxLines {
				break
			}
			t := strings.TrimSpace(line)
			f := strings.Fields(t)
			if len(f) < 2 || (f[0] != "enable" && f[0] != "disable") {
				continue
			}
			out = append(out, presetRule{enable: f[0] == "enable", pattern: f[1], file: "/" + p, line: i + 1, text: t})
		}
	}
	return out, errs
}

// preset returns the first preset rule that matches unit.
func (sd *systemd) preset(unit string) (presetRule, bool) {
	for _, r := range sd.presets {
		if ok, _ := path.Match(r.pattern, unit); ok {
			return r, true
		}
	}
	return presetRule{}, false
}

// template is "getty@.service" for "getty@tty1.service", "" otherwise.
func template(unit string) string {
	at := strings.IndexByte(unit, '@')
	dot := strings.LastIndexByte(unit, '.')
	if at < 0 || dot < at {
		return ""
	}
	return unit[:at+1] + unit[dot:]
}

// unitVerdict says whether unit is enabled by the admin, by a vendor
// preset or statically by its package, pulled in by another unit, or
// started by hand.
func (sd *systemd) unitVerdict(unit string) snapshot.Provenance {
	if real, ok := sd.aliases[unit]; ok {
		unit = real
	}
	p := snapshot.Provenance{Init: sd.init, Service: unit}
	names := []string{unit}
	if t := template(unit); t != "" {
		names = append(names, t)
	}
	if m, ok := sd.masked[unit]; ok {
		p.Verdict, p.Reason = snapshot.ProvenanceNotEnabled, "masked"
		p.Evidence = []snapshot.Evidence{{File: m, Unit: unit}}
		return p
	}
	var admin, vendor []link
	for _, n := range names {
		for _, l := range sd.enabled[n] {
			if l.vendor {
				vendor = append(vendor, l)
			} else {
				admin = append(admin, l)
			}
		}
	}
	if len(admin) > 0 {
		ev := []snapshot.Evidence{{File: admin[0].file, Unit: unit}}
		if r, ok := sd.preset(names[len(names)-1]); ok && r.enable {
			p.Verdict, p.Reason = snapshot.ProvenanceDefault, "vendor-preset"
			p.Evidence = append([]snapshot.Evidence{{File: r.file, Line: r.line, Text: r.text}}, ev...)
			return p
		}
		if r, ok := sd.preset(unit); ok && r.enable {
			p.Verdict, p.Reason = snapshot.ProvenanceDefault, "vendor-preset"
			p.Evidence = append([]snapshot.Evidence{{File: r.file, Line: r.line, Text: r.text}}, ev...)
			return p
		}
		p.Verdict, p.Reason, p.Evidence = snapshot.ProvenanceEnabled, "admin-symlink", ev
		if !strings.HasPrefix(admin[0].file, "/etc/") {
			p.Reason = "user-symlink" // ~/.config/systemd/user: the user enabled it
		}
		if r, ok := sd.preset(unit); ok {
			p.Evidence = append(p.Evidence, snapshot.Evidence{File: r.file, Line: r.line, Text: r.text})
		}
		return p
	}
	if len(vendor) > 0 {
		p.Verdict, p.Reason = snapshot.ProvenanceDefault, "vendor-static"
		p.Evidence = []snapshot.Evidence{{File: vendor[0].file, Unit: unit}}
		return p
	}
	// Also= of an enabled unit: "systemctl enable ssh.service" enables
	// the units its [Install] Also= names.
	if u, l, ok := sd.alsoOf(names); ok {
		up := sd.unitVerdict(u.Name)
		if up.Verdict == snapshot.ProvenanceEnabled || up.Verdict == snapshot.ProvenanceDefault {
			p.Verdict, p.Reason = up.Verdict, "also"
			p.Evidence = append([]snapshot.Evidence{u.evidence(l)}, up.Evidence...)
			return p
		}
	}
	// Socket activation: a socket unit that starts this service; of
	// several (gpg-agent's), an enabled one.
	var best *snapshot.Provenance
	for _, s := range sd.socketsFor(unit) {
		sp := sd.unitVerdict(s.Name)
		sp.Service = unit
		sp.Reason = "socket-activation"
		sp.Evidence = append([]snapshot.Evidence{{File: s.File, Unit: s.Name}}, sp.Evidence...)
		if sp.Verdict == snapshot.ProvenanceUnknown {
			sp.Verdict = snapshot.ProvenanceNotEnabled
		}
		if best == nil || (best.Verdict == snapshot.ProvenanceNotEnabled && sp.Verdict != snapshot.ProvenanceNotEnabled) {
			best = &sp
		}
	}
	if best != nil {
		return *best
	}
	// Wants=/Requires= of another unit.
	if w, l, ok := sd.wantedBy(names); ok {
		p.Verdict, p.Reason = snapshot.ProvenanceNotEnabled, "wanted-by"
		p.Evidence = []snapshot.Evidence{{File: w.File, Line: l.Line, Text: l.Key + "=" + l.Value, Unit: w.Name}}
		return p
	}
	u := sd.unit(unit)
	if u == nil && template(unit) == "" {
		p.Verdict, p.Reason = snapshot.ProvenanceUnknown, "no-unit"
		p.Evidence = []snapshot.Evidence{{Unit: unit}}
		return p
	}
	unitEv := snapshot.Evidence{Unit: unit}
	if u != nil {
		unitEv.File = u.File
	} else if t := sd.unit(template(unit)); t != nil {
		unitEv.File = t.File
	}
	p.Verdict, p.Reason = snapshot.ProvenanceNotEnabled, "not-enabled"
	p.Evidence = []snapshot.Evidence{unitEv}
	return p
}

// sortedUnits are the units by name, for answers that do not depend on
// map order.
func (sd *systemd) sortedUnits() []*unitFile {
	names := make([]string, 0, len(sd.units))
	for name := range sd.units {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([]*unitFile, 0, len(names))
	for _, name := range names {
		if u := sd.unit(name); u != nil {
			out = append(out, u)
		}
	}
	return out
}

// alsoOf finds a unit whose [Install] Also= names one of names.
func (sd *systemd) alsoOf(names []string) (*unitFile, unitLine, bool) {
	for _, u := range sd.sortedUnits() {
		for _, l := range u.values("Install", "Also") {
			for _, f := range strings.Fields(l.Value) {
				if slices.Contains(names, f) && !slices.Contains(names, u.Name) {
					return u, l, true
				}
			}
		}
	}
	return nil, unitLine{}, false
}

// socketsFor are the socket units that activate service.
func (sd *systemd) socketsFor(service string) []*unitFile {
	base := strings.TrimSuffix(service, ".service")
	tmpl := template(service)
	var out []*unitFile
	for _, s := range sd.readSockets() {
		svc := s.values("Socket", "Service")
		sb := strings.TrimSuffix(s.Name, ".socket")
		switch {
		case len(svc) > 0:
			if svc[len(svc)-1].Value == service {
				out = append(out, s)
			}
		case sb == base || (tmpl != "" && sb+"@.service" == tmpl):
			out = append(out, s)
		}
	}
	return out
}

// wantedBy finds a unit that wants or requires one of names.
func (sd *systemd) wantedBy(names []string) (*unitFile, unitLine, bool) {
	for _, u := range sd.sortedUnits() {
		for _, l := range u.Lines {
			if l.Section != "Unit" || (l.Key != "Wants" && l.Key != "Requires" && l.Key != "BindsTo" && l.Key != "Upholds") {
				continue
			}
			for _, f := range strings.Fields(l.Value) {
				for _, n := range names {
					if f == n {
						return u, l, true
					}
				}
			}
		}
	}
	return nil, unitLine{}, false
}

// listenFor finds the socket unit with a Listen line for proto and port
// and the service it starts.
func (sd *systemd) listenFor(proto string, port uint16) (*unitFile, unitLine, string, bool) {
	key := "ListenStream"
	if proto == "udp" {
		key = "ListenDatagram"
	} else if proto == "sctp" {
		key = "ListenSequentialPacket"
	}
	for _, s := range sd.readSockets() {
		for _, l := range s.values("Socket", key) {
			if p, ok := listenPort(l.Value); ok && p == port {
				svc := strings.TrimSuffix(s.Name, ".socket") + ".service"
				for _, a := range s.values("Socket", "Accept") {
					if yes, _ := truth(a.Value); yes {
						svc = strings.TrimSuffix(s.Name, ".socket") + "@.service"
					}
				}
				for _, v := range s.values("Socket", "Service") {
					svc = v.Value
				}
				return s, l, svc, true
			}
		}
	}
	return nil, unitLine{}, "", false
}

// listenPort reads the port of a Listen*= value: "22", "0.0.0.0:22",
// "[::]:22"; paths and other families have none.
func listenPort(v string) (uint16, bool) {
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "@") {
		return 0, false
	}
	if i := strings.LastIndexByte(v, ':'); i >= 0 {
		v = v[i+1:]
	}
	p, err := strconv.ParseUint(v, 10, 16)
	if err != nil {
		return 0, false
	}
	return uint16(p), true
}

// userManager is the unit tree the service manager user@UID.service
// reads: the user's ~/.config/systemd/user (home from /etc/passwd), then
// /etc/systemd/user (the admin's, for every user) and the packages'.
func (sd *systemd) userManager(manager string) *systemd {
	if u, ok := sd.user[manager]; ok {
		return u
	}
	uid := strings.TrimSuffix(strings.TrimPrefix(manager, "user@"), ".service")
	var dirs []string
	if home := homeOf(sd.fsys, uid); home != "" {
		dirs = append(dirs, strings.TrimPrefix(path.Join(home, ".config/systemd/user"), "/"))
	}
	dirs = append(dirs, "etc/systemd/user", "run/systemd/user", "usr/lib/systemd/user", "lib/systemd/user")
	u, _ := loadUnits(sd.fsys, dirs, []string{"etc/systemd/user-preset", "usr/lib/systemd/user-preset", "lib/systemd/user-preset"}, "systemd-user")
	sd.user[manager] = u
	return u
}

// homeOf is the home directory of uid in the root's /etc/passwd.
func homeOf(fsys fs.FS, uid string) string {
	data, err := readLimited(fsys, "etc/passwd")
	if err != nil {
		return ""
	}
	for i, line := range strings.Split(string(data), "\n") {
		if i >= maxLines {
			break
		}
		f := strings.Split(line, ":")
		if len(f) >= 6 && f[2] == uid && strings.HasPrefix(f[5], "/") {
			return path.Clean(f[5])
		}
	}
	return ""
}

// cronUnits start jobs whose processes stay in the unit's cgroup.
var cronUnits = map[string]bool{"cron.service": true, "crond.service": true, "cronie.service": true, "atd.service": true, "anacron.service": true}

// resolve gives the verdict for process pid called name holding a socket
// of proto/port. cgroup is the path the snapshot recorded with the
// process; /proc/PID/cgroup under the root is read only when it has none
// (a parsed file, or a saved tree with its /proc).
func (sd *systemd) resolve(pid int, cgroup, name, proto string, port uint16) snapshot.Provenance {
	var cg CgroupUnit
	var err error
	cgEv := snapshot.Evidence{File: "/proc/" + strconv.Itoa(pid) + "/cgroup"}
	if cgroup != "" {
		cg = ClassifyCgroup(cgroup)
		cgEv = snapshot.Evidence{Text: cgroup}
	} else {
		var data []byte
		data, err = readLimited(sd.fsys, "proc/"+strconv.Itoa(pid)+"/cgroup")
		if err == nil {
			cg = ClassifyCgroup(snapshot.CgroupPath(data))
		}
	}
	cgEv.Unit = cg.Unit
	if pid == 1 || cg.Kind == "init" {
		if s, l, svc, ok := sd.listenFor(proto, port); ok {
			p := sd.unitVerdict(s.Name)
			p.Service = s.Name
			p.Reason = "socket-activation"
			p.Evidence = append([]snapshot.Evidence{{File: s.File, Line: l.Line, Text: l.Key + "=" + l.Value, Unit: s.Name + " -> " + svc}}, p.Evidence...)
			return p
		}
		return snapshot.Provenance{Verdict: snapshot.ProvenanceUnknown, Init: "systemd", Reason: "no-unit",
			Evidence: []snapshot.Evidence{{Text: "no .socket unit listens on " + proto + "/" + strconv.Itoa(int(port))}}}
	}
	if err != nil {
		return snapshot.Provenance{Verdict: snapshot.ProvenanceUnknown, Init: "systemd", Reason: "no-cgroup",
			Evidence: []snapshot.Evidence{{File: "/proc/" + strconv.Itoa(pid) + "/cgroup", Text: "unreadable"}}}
	}
	switch cg.Kind {
	case "container":
		return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "container", Service: cg.Unit, Reason: "container", Evidence: []snapshot.Evidence{cgEv}}
	case "session":
		return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "session", Service: cg.Unit, Reason: "session", Evidence: []snapshot.Evidence{cgEv}}
	case "user-service":
		p := sd.userManager(cg.Manager).unitVerdict(cg.Unit)
		p.Evidence = append(p.Evidence, cgEv)
		return p
	case "scope":
		return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "systemd", Service: cg.Unit, Reason: "transient", Evidence: []snapshot.Evidence{cgEv}}
	case "service":
		if cronUnits[cg.Unit] && !strings.HasPrefix(strings.TrimSuffix(cg.Unit, ".service"), name) {
			return snapshot.Provenance{Verdict: snapshot.ProvenanceNotEnabled, Init: "cron", Service: cg.Unit, Reason: "cron", Evidence: []snapshot.Evidence{cgEv}}
		}
		p := sd.unitVerdict(cg.Unit)
		p.Evidence = append(p.Evidence, cgEv)
		return p
	}
	return snapshot.Provenance{Verdict: snapshot.ProvenanceUnknown, Init: "systemd", Reason: "no-unit", Evidence: []snapshot.Evidence{cgEv}}
}
