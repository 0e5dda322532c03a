// Package identity says which openports produced a result and on which
// host: the tool's name, version, commit and build date, and a stable,
// application-specific hash of the host's machine id. Reports, snapshots,
// metrics and watch events carry it so that results gathered from a fleet
// can be told apart and traced to the build that made them.
package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/openports/openports/internal/snapshot"
)

// Name is the tool's name as it appears in reports and metrics.
const Name = "openports"

// Set at link time by release builds (goreleaser, make build):
//
//	-ldflags "-X github.com/openports/openports/internal/identity.version=1.2.3
//	          -X github.com/openports/openports/internal/identity.commit=abc123
//	          -X github.com/openports/openports/internal/identity.date=2026-12-02T00:00:00Z"
//
// Builds without them (go build, go install, go run) fall back to what the
// Go toolchain recorded in the binary (debug.ReadBuildInfo).
var (
	version string
	commit  string
	date    string
)

// Build describes this binary.
type Build struct {
	Name    string
	Version string // "1.2.3", a module pseudo-version, or "(devel)"
	Commit  string // VCS revision, "" when unknown
	Date    string // build or commit time (RFC 3339), "" when unknown
	// Modified is true when the binary was built from a work tree with
	// uncommitted changes.
	Modified  bool
	GoVersion string
}

// Current returns the identity of the running binary.
func Current() Build {
	info, _ := debug.ReadBuildInfo()
	return resolve(version, commit, date, info)
}

// resolve prefers the link-time values and fills the rest from info.
func resolve(version, commit, date string, info *debug.BuildInfo) Build {
	b := Build{Name: Name, Version: version, Commit: commit, Date: date}
	if info == nil {
		if b.Version == "" {
			b.Version = "(devel)"
		}
		return b
	}
	b.GoVersion = info.GoVersion
	if b.Version == "" {
		b.Version = info.Main.Version
	}
	var vcsTime string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if b.Commit == "" {
				b.Commit = s.Value
			}
		case "vcs.time":
			vcsTime = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true" && commit == ""
		}
	}
	if b.Date == "" {
		b.Date = vcsTime
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

// Tool is b as reports and snapshots name it.
func (b Build) Tool() *snapshot.Tool {
	return &snapshot.Tool{Name: b.Name, Version: b.Version, Commit: b.Commit}
}

// String is the one-line form: "openports 1.2.3 (commit abc123, built 2026-12-02T00:00:00Z)".
func (b Build) String() string {
	var extra []string
	if b.Commit != "" {
		c := "commit " + b.Commit
		if b.Modified {
			c += " (modified)"
		}
		extra = append(extra, c)
	}
	if b.Date != "" {
		extra = append(extra, "built "+b.Date)
	}
	if b.GoVersion != "" {
		extra = append(extra, b.GoVersion)
	}
	s := b.Name + " " + b.Version
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// machineIDFiles are where operating systems keep a host's machine id, in
// the order they are tried: systemd and D-Bus on Linux, D-Bus on the BSDs,
// the host UUID on FreeBSD.
var machineIDFiles = []string{"etc/machine-id", "var/lib/dbus/machine-id", "var/db/dbus/machine-id", "etc/hostid"}

// appKey makes the hash specific to openports, as systemd's
// sd_id128_get_machine_app_specific does: machine-id(5) asks programs not to
// publish the id itself.
const appKey = "openports"

// MachineID returns a stable hash of the machine id found under root ("/"
// for this host): 32 hex digits of HMAC-SHA256 keyed with the machine id
// over "openports". It returns "" when no machine id can be read.
func MachineID(root string) string {
	for _, f := range machineIDFiles {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		id := strings.TrimSpace(string(b))
		if id == "" || id == "uninitialized" {
			continue
		}
		return HashMachineID(id)
	}
	return ""
}

// HashMachineID is the hash MachineID returns for id.
func HashMachineID(id string) string {
	m := hmac.New(sha256.New, []byte(id))
	m.Write([]byte(appKey))
	return hex.EncodeToString(m.Sum(nil))[:32]
}
