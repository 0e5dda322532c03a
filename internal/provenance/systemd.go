package provenance

import (
	"bufio"
	"bytes"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// unitDirs are where systemd looks for system units, most important first.
var unitDirs = []string{"etc/systemd/system", "run/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"}

// presetDirs are where systemd looks for preset files.
var presetDirs = []string{"etc/systemd/system-preset", "run/systemd/system-preset", "usr/lib/systemd/system-preset", "lib/systemd/system-preset"}

// CgroupUnit is what a cgroup path says about who started a process.
type CgroupUnit struct {
	// Kind is "service" (a system unit), "scope" (a transient system
	// scope), "session" (a login session or a user's service manager),
	// "container", "init" (PID 1's own scope) or "" (no unit: the root).
	Kind string
	// Unit is the unit or scope ("ssh.service", "session-3.scope",
	// "docker-0123abcd.scope").
	Unit string
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
		for _, s := range segs {
			if strings.HasPrefix(s, "user@") && strings.HasSuffix(s, ".service") {
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
}

// unitFile is a parsed unit file.
type unitFile struct {
	Name  string // "ssh.socket"
	File  string // "/lib/systemd/system/ssh.socket"
	Lines []unitLine
}

// values returns every value of key in section.
func (u *unitFile) values(section, key string) []unitLine {
	var out []unitLine
	for _, l := range u.Lines {
		if l.Section == section && l.Key == key {
			out = append(out, l)
		}
	}
	return out
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
	enabled map[string][]link    // unit name -> symlinks in *.wants/*.requires
	presets []presetRule
	sockets []*unitFile
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
	sd := &systemd{fsys: fsys, units: map[string]*unitFile{}, enabled: map[string][]link{}}
	var errs []error
	for _, dir := range unitDirs {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			continue
		}
		for i, e := range ents {
			if i >= 8192 {
				break
			}
			name := e.Name()
			if e.IsDir() && (strings.HasSuffix(name, ".wants") || strings.HasSuffix(name, ".requires")) {
				sub, err := fs.ReadDir(fsys, path.Join(dir, name))
				if err != nil {
					errs = append(errs, err)
					continue
				}
				for _, s := range sub {
					sd.enabled[s.Name()] = append(sd.enabled[s.Name()], link{file: "/" + path.Join(dir, name, s.Name()), vendor: !strings.HasPrefix(dir, "etc/")})
				}
				continue
			}
			// Symlinks in a unit directory are aliases and masks
			// (-> /dev/null); their targets may lie outside the root.
			if e.IsDir() || e.Type()&fs.ModeSymlink != 0 || !isUnitName(name) {
				continue
			}
			if _, seen := sd.units[name]; seen {
				continue
			}
			data, err := readLimited(fsys, path.Join(dir, name))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			u := &unitFile{Name: name, File: "/" + path.Join(dir, name), Lines: ParseUnit(data)}
			sd.units[name] = u
			if strings.HasSuffix(name, ".socket") {
				sd.sockets = append(sd.sockets, u)
			}
		}
	}
	sort.Slice(sd.sockets, func(i, j int) bool { return sd.sockets[i].Name < sd.sockets[j].Name })
	sd.presets, errs = loadPresets(fsys, errs)
	return sd, errs
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
func loadPresets(fsys fs.FS, errs []error) ([]presetRule, []error) {
	byName := map[string]string{}
	for _, dir := range presetDirs {
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
func (sd *systemd) unitVerdict(unit string) report.Provenance {
	p := report.Provenance{Init: "systemd", Service: unit}
	names := []string{unit}
	if t := template(unit); t != "" {
		names = append(names, t)
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
	unitEv := report.Evidence{Unit: unit}
	if u, ok := sd.units[unit]; ok {
		unitEv.File = u.File
	} else if t := template(unit); t != "" {
		if u, ok := sd.units[t]; ok {
			unitEv.File = u.File
		}
	}
	if len(admin) > 0 {
		ev := []report.Evidence{{File: admin[0].file, Unit: unit}}
		if r, ok := sd.preset(names[len(names)-1]); ok && r.enable {
			p.Verdict, p.Reason = report.ProvenanceDefault, "vendor-preset"
			p.Evidence = append([]report.Evidence{{File: r.file, Line: r.line, Text: r.text}}, ev...)
			return p
		}
		if r, ok := sd.preset(unit); ok && r.enable {
			p.Verdict, p.Reason = report.ProvenanceDefault, "vendor-preset"
			p.Evidence = append([]report.Evidence{{File: r.file, Line: r.line, Text: r.text}}, ev...)
			return p
		}
		p.Verdict, p.Reason, p.Evidence = report.ProvenanceEnabled, "admin-symlink", ev
		if r, ok := sd.preset(unit); ok {
			p.Evidence = append(p.Evidence, report.Evidence{File: r.file, Line: r.line, Text: r.text})
		}
		return p
	}
	if len(vendor) > 0 {
		p.Verdict, p.Reason = report.ProvenanceDefault, "vendor-static"
		p.Evidence = []report.Evidence{{File: vendor[0].file, Unit: unit}}
		return p
	}
	// Socket activation: a socket unit that starts this service.
	if s := sd.socketFor(unit); s != nil {
		sp := sd.unitVerdict(s.Name)
		sp.Service = unit
		sp.Reason = "socket-activation"
		sp.Evidence = append([]report.Evidence{{File: s.File, Unit: s.Name}}, sp.Evidence...)
		if sp.Verdict == report.ProvenanceUnknown {
			sp.Verdict = report.ProvenanceNotEnabled
		}
		return sp
	}
	// Wants=/Requires= of another unit.
	if w, l, ok := sd.wantedBy(names); ok {
		p.Verdict, p.Reason = report.ProvenanceNotEnabled, "wanted-by"
		p.Evidence = []report.Evidence{{File: w.File, Line: l.Line, Text: l.Key + "=" + l.Value, Unit: w.Name}}
		return p
	}
	if _, ok := sd.units[unit]; !ok && template(unit) == "" {
		p.Verdict, p.Reason = report.ProvenanceUnknown, "no-unit"
		p.Evidence = []report.Evidence{{Unit: unit}}
		return p
	}
	p.Verdict, p.Reason = report.ProvenanceNotEnabled, "not-enabled"
	p.Evidence = []report.Evidence{unitEv}
	return p
}

// socketFor is the socket unit that activates service, if any.
func (sd *systemd) socketFor(service string) *unitFile {
	base := strings.TrimSuffix(service, ".service")
	tmpl := template(service)
	for _, s := range sd.sockets {
		for _, l := range s.values("Socket", "Service") {
			if l.Value == service {
				return s
			}
		}
		sb := strings.TrimSuffix(s.Name, ".socket")
		if sb == base || (tmpl != "" && sb+"@.service" == tmpl) {
			return s
		}
	}
	return nil
}

// wantedBy finds a unit that wants or requires one of names.
func (sd *systemd) wantedBy(names []string) (*unitFile, unitLine, bool) {
	keys := make([]string, 0, len(sd.units))
	for k := range sd.units {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		u := sd.units[k]
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
	for _, s := range sd.sockets {
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

// cronUnits start jobs whose processes stay in the unit's cgroup.
var cronUnits = map[string]bool{"cron.service": true, "crond.service": true, "cronie.service": true, "atd.service": true, "anacron.service": true}

// resolve gives the verdict for process pid called name holding a socket of
// proto/port. cgroup is the process's cgroup path as the collector read it
// under the process's identity; only when it is empty (a snapshot without
// it) is /proc/PID/cgroup read here, which a reused PID could mislead.
func (sd *systemd) resolve(pid int, name, cgroup, proto string, port uint16) report.Provenance {
	var err error
	if cgroup == "" {
		var data []byte
		data, err = readLimited(sd.fsys, "proc/"+strconv.Itoa(pid)+"/cgroup")
		cgroup = snapshot.CgroupPath(data)
	}
	var cg CgroupUnit
	if err == nil {
		cg = ClassifyCgroup(cgroup)
	}
	cgEv := report.Evidence{File: "/proc/" + strconv.Itoa(pid) + "/cgroup", Unit: cg.Unit}
	if pid == 1 || cg.Kind == "init" {
		if s, l, svc, ok := sd.listenFor(proto, port); ok {
			p := sd.unitVerdict(s.Name)
			p.Service = s.Name
			p.Reason = "socket-activation"
			p.Evidence = append([]report.Evidence{{File: s.File, Line: l.Line, Text: l.Key + "=" + l.Value, Unit: s.Name + " -> " + svc}}, p.Evidence...)
			return p
		}
		return report.Provenance{Verdict: report.ProvenanceUnknown, Init: "systemd", Reason: "no-unit",
			Evidence: []report.Evidence{{Text: "no .socket unit listens on " + proto + "/" + strconv.Itoa(int(port))}}}
	}
	if err != nil {
		return report.Provenance{Verdict: report.ProvenanceUnknown, Init: "systemd", Reason: "no-cgroup",
			Evidence: []report.Evidence{{File: "/proc/" + strconv.Itoa(pid) + "/cgroup", Text: "unreadable"}}}
	}
	switch cg.Kind {
	case "container":
		return report.Provenance{Verdict: report.ProvenanceNotEnabled, Init: "container", Service: cg.Unit, Reason: "container", Evidence: []report.Evidence{cgEv}}
	case "session":
		return report.Provenance{Verdict: report.ProvenanceNotEnabled, Init: "session", Service: cg.Unit, Reason: "session", Evidence: []report.Evidence{cgEv}}
	case "scope":
		return report.Provenance{Verdict: report.ProvenanceNotEnabled, Init: "systemd", Service: cg.Unit, Reason: "transient", Evidence: []report.Evidence{cgEv}}
	case "service":
		if cronUnits[cg.Unit] && !strings.HasPrefix(strings.TrimSuffix(cg.Unit, ".service"), name) {
			return report.Provenance{Verdict: report.ProvenanceNotEnabled, Init: "cron", Service: cg.Unit, Reason: "cron", Evidence: []report.Evidence{cgEv}}
		}
		p := sd.unitVerdict(cg.Unit)
		p.Evidence = append(p.Evidence, cgEv)
		return p
	}
	return report.Provenance{Verdict: report.ProvenanceUnknown, Init: "systemd", Reason: "no-unit", Evidence: []report.Evidence{cgEv}}
}
