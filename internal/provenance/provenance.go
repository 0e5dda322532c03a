// Package provenance answers "did I mean it?" for each process that holds
// a listening socket: which service of the init system started it, and
// whether the administrator enabled that service, it runs by default, or
// nothing enabled it at all.
//
// Everything is read from a rooted file system (the host's "/" or a saved
// copy of another host's /etc): NetBSD and FreeBSD rc.conf over
// /etc/defaults/rc.conf with the /etc/rc.d scripts, OpenBSD rc.conf.local
// over /etc/rc.conf, inetd.conf, and on Linux the systemd unit tree with
// each process's /proc/PID/cgroup.
package provenance

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/openports/openports/internal/snapshot"
)

// Kind is the init system whose configuration a Resolver reads.
type Kind string

// The init systems provenance knows.
const (
	// KindNone means no configuration was found: nothing is resolved.
	KindNone Kind = ""
	// KindRCD is NetBSD's and FreeBSD's rc.d with /etc/defaults/rc.conf.
	KindRCD Kind = "rc.d"
	// KindOpenBSD is OpenBSD's rc.conf and rc.conf.local.
	KindOpenBSD Kind = "openbsd-rc"
	// KindSystemd is systemd.
	KindSystemd Kind = "systemd"
)

// maxFile bounds the size of a configuration file openports reads.
const maxFile = 4 << 20

// Resolver gives the provenance of processes on one host.
type Resolver struct {
	kind     Kind
	bsd      *bsdRC
	openbsd  *openbsdRC
	sd       *systemd
	inetd    *inetd
	problems []error
	cache    map[cacheKey]snapshot.Provenance
}

type cacheKey struct {
	pid    int
	name   string
	cgroup string
	proto  string
	port   uint16
}

// Detect says which init system's configuration fsys holds. os (GOOS
// style, "" when unknown) breaks ties.
func Detect(fsys fs.FS, os string) Kind {
	exists := func(p string) bool { _, err := fs.Stat(fsys, p); return err == nil }
	switch {
	case os == "openbsd" && exists("etc/rc.conf"):
		return KindOpenBSD
	case exists("etc/defaults/rc.conf"):
		return KindRCD
	case exists("etc/rc.conf.local") || (exists("etc/rc.conf") && os != "netbsd" && os != "freebsd" && hasFlagsVar(fsys)):
		return KindOpenBSD
	}
	if os != "" && os != "linux" {
		return KindNone
	}
	if comm, err := readLimited(fsys, "proc/1/comm"); err == nil {
		if strings.TrimSpace(string(comm)) == "systemd" {
			return KindSystemd
		}
		return KindNone
	}
	for _, d := range unitDirs {
		if exists(d) {
			return KindSystemd
		}
	}
	return KindNone
}

// hasFlagsVar reports whether /etc/rc.conf sets OpenBSD-style NAME_flags
// and no NetBSD/FreeBSD-style NAME=YES.
func hasFlagsVar(fsys fs.FS) bool {
	data, err := readLimited(fsys, "etc/rc.conf")
	if err != nil {
		return false
	}
	e := newShellEnv(fsys)
	parseOpenBSDConf(e, "/etc/rc.conf", string(data))
	return len(e.vars) > 0
}

// New reads the configuration under fsys. os is the observed host's GOOS
// ("" when unknown). Lines that could not be read are kept as Problems;
// New fails only when fsys cannot be read at all.
func New(fsys fs.FS, os string) (*Resolver, error) {
	if _, err := fs.Stat(fsys, "."); err != nil {
		return nil, fmt.Errorf("read root: %w", err)
	}
	r := &Resolver{kind: Detect(fsys, os), cache: map[cacheKey]snapshot.Provenance{}}
	var errs []error
	switch r.kind {
	case KindRCD:
		r.bsd, errs = loadBSD(fsys)
	case KindOpenBSD:
		r.openbsd, errs = loadOpenBSD(fsys)
	case KindSystemd:
		r.sd, errs = loadSystemd(fsys)
	}
	r.problems = append(r.problems, errs...)
	if r.kind == KindRCD || r.kind == KindOpenBSD {
		in, err := loadInetd(fsys)
		if err == nil {
			r.inetd = in
		} else if !errors.Is(err, fs.ErrNotExist) {
			r.problems = append(r.problems, err)
		}
	}
	return r, nil
}

// Kind is the init system the resolver found.
func (r *Resolver) Kind() Kind { return r.kind }

// Problems are the configuration lines and files that could not be read
// (errors of the form "/etc/rc.conf:12: ..."). systemd's unit files are
// read when a verdict first needs them, so Resolve may add to the end of
// the list.
func (r *Resolver) Problems() []error {
	if r.sd == nil || len(r.sd.problems) == 0 {
		return r.problems
	}
	return append(slices.Clone(r.problems), r.sd.problems...)
}

// Resolve gives the provenance of process p (its PID, name and cgroup)
// holding sockets of proto on port; nil when the resolver found no init
// system to ask.
func (r *Resolver) Resolve(proto snapshot.Proto, port uint16, p snapshot.Owner) *snapshot.Provenance {
	if r == nil || r.kind == KindNone {
		return nil
	}
	k := cacheKey{pid: p.PID, name: p.Name, cgroup: p.Cgroup, proto: string(proto), port: port}
	if v, ok := r.cache[k]; ok {
		return &v
	}
	v := r.resolve(k)
	r.cache[k] = v
	return &v
}

func (r *Resolver) resolve(k cacheKey) snapshot.Provenance {
	if k.name == "inetd" && r.inetd != nil {
		if v, ok := r.inetd.resolve(k.proto, k.port); ok {
			return v
		}
	}
	switch r.kind {
	case KindRCD:
		return r.bsd.resolve(k.name)
	case KindOpenBSD:
		return r.openbsd.resolve(k.name)
	case KindSystemd:
		return r.sd.resolve(k.pid, k.cgroup, k.name, k.proto, k.port)
	}
	return snapshot.Provenance{Verdict: snapshot.ProvenanceUnknown, Reason: "no-config"}
}

// readLimited reads a file of fsys of at most maxFile bytes.
func readLimited(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read /%s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("read /%s: %w", name, err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("read /%s: larger than %d bytes", name, maxFile)
	}
	return data, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// maxLines bounds how many lines one configuration file may have.
const maxLines = 100000
