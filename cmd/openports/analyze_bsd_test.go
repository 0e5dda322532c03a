package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/openports/openports/internal/report"
)

// grepLines keeps the lines of data that contain word, as `grep word`
// does: a header-less excerpt of a real output.
func grepLines(data []byte, word string) []byte {
	var out []byte
	for line := range bytes.Lines(data) {
		if bytes.Contains(line, []byte(word)) {
			out = append(out, line...)
		}
	}
	return out
}

// analyzeGrep analyzes (--all, JSON) the lines of the real output at path
// that contain word, as `tool | grep word` would have saved them.
func analyzeGrep(t *testing.T, path, word string) *report.Report {
	t.Helper()
	_, rep, stderr := analyzeJSON(t, nil, "--all", writeTemp(t, "grep.txt", grepLines(readTestdata(t, path), word)))
	if rep == nil {
		t.Fatal(stderr)
	}
	return rep
}

// OpenBSD netstat -a with service names cut to the column.
func TestAnalyzeOpenBSDCutNames(t *testing.T) {
	englishEnv(t)
	code, rep, stderr := analyzeJSON(t, nil, "--all",
		"../../internal/parse/netstat/testdata/openbsd-samba-a-p-tcp-names.txt",
		"../../internal/parse/netstat/testdata/openbsd-samba-a-p-udp-names.txt")
	if rep == nil {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	smb := false
	for _, r := range rep.Rows {
		if r.Port == 0 && r.PortText == "" {
			t.Errorf("a row with port 0 and no port text: %+v", r)
		}
		if r.Proto == "tcp" && r.Port == 445 && r.Address == "*" {
			smb = true
			if r.Service != "samba" && !strings.Contains(r.ServiceLabel, "smb") {
				t.Errorf("tcp/445 service = %q (%q), want SMB", r.Service, r.ServiceLabel)
			}
			if !slices.ContainsFunc(r.Notes, func(n report.Note) bool {
				return n.Key == "truncated" && strings.Contains(strings.Join(n.Args, ","), "local-port")
			}) {
				t.Errorf("tcp/445 has no truncation note: %+v", r.Notes)
			}
		}
		if r.Port == 0 && r.PortText == "" || r.Address == "*" && r.Port == 0 && r.PortText == "*" {
			t.Errorf("an unbound *.* socket became a row: %+v", r)
		}
		if r.Proto == "udp" && strings.HasPrefix(r.Address, "obsd2023") && r.Reach != report.ReachV4 {
			t.Errorf("udp %s (a host name on an IPv4 socket) reach %s, want v4", r.Address, r.Reach)
		}
		if strings.HasPrefix(r.Address, "fe80::1%lo0") && r.Exposure != report.ExposureLoopback {
			t.Errorf("fe80::1%%lo0 exposure %s, want loopback", r.Exposure)
		}
		if r.Address == "obsd2023.netbios-" {
			t.Errorf("host.service not split at the last dot: %+v", r)
		}
	}
	if !smb {
		t.Errorf("*.microsof did not resolve to tcp/445: %v", rowPIDs(rep))
	}
	for _, r := range rep.Rows {
		if r.PortText == "netbios-" && r.Port != 0 {
			t.Errorf("netbios- is the prefix of several services, resolved to %d", r.Port)
		}
	}
}

// FreeBSD prints tcp46 for a dual-stack socket: its tcp6 sockets are v6-only.
func TestAnalyzeFreeBSDTcp6IsV6Only(t *testing.T) {
	englishEnv(t)
	rep := analyzeGrep(t, "../../internal/parse/netstat/testdata/freebsd-12-an.txt", "LISTEN")
	for _, r := range rep.Rows {
		if r.Port == 22 && r.Reach != report.ReachBoth {
			t.Errorf("*.22 (tcp4 and tcp6 sockets) reach %s, want v4+v6 from two sockets", r.Reach)
		}
		for _, s := range r.Sockets {
			if s.Local.Addr().Is6() && s.Reach != report.ReachV6 {
				t.Errorf("tcp6 %v reach %s, want v6", s.Local, s.Reach)
			}
		}
	}
}

// macOS netstat -anv | grep LISTEN has no header: the pid is read from the
// fixed shape of the fields after the state.
func TestAnalyzeMacHeaderlessPID(t *testing.T) {
	englishEnv(t)
	rep := analyzeGrep(t, "../../internal/parse/netstat/testdata/macos-anvp-tcp-listen.txt", "LISTEN")
	if len(rep.Rows) == 0 {
		t.Fatal("no rows")
	}
	for _, r := range rep.Rows {
		if len(r.Processes) == 0 {
			t.Errorf("%s/%d: no pid read", r.Proto, r.Port)
		}
	}
}

// Raw sockets show an IP protocol where others show a port: never a port
// with a service guessed from it. ss's icmp6 lines are raw sockets too.
func TestAnalyzeRawSockets(t *testing.T) {
	englishEnv(t)
	for _, path := range []string{
		"../../internal/parse/netstat/testdata/linux-netns-awp.txt",
		"../../internal/parse/ss/testdata/linux-netns-ss-awp.txt",
		"../../internal/parse/ss/testdata/linux-ubuntu-18.04-tulwn-icmp6.txt",
	} {
		_, rep, stderr := analyzeJSON(t, nil, "--all", path)
		if rep == nil || strings.Contains(stderr, "not understood") {
			t.Fatalf("%s:\n%s", path, stderr)
		}
		raw := 0
		for _, r := range rep.Rows {
			if r.Proto != "raw" {
				continue
			}
			raw++
			if r.IdentifiedBy == "port" {
				t.Errorf("%s: raw/%d identified by port as %s", path, r.Port, r.Service)
			}
		}
		if raw == 0 {
			t.Errorf("%s: no raw row", path)
		}
	}
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"analyze", "--color", "never", "--all", "../../internal/parse/netstat/testdata/linux-netns-awp.txt"}, &out, &errb); code != 3 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(out.String(), "proto 17") {
		t.Errorf("the raw udp socket's PORT cell is not its protocol:\n%s", out.String())
	}
}

// "localhost" as a tool printed it is kept, not silently 127.0.0.1.
func TestAnalyzeLocalhostName(t *testing.T) {
	englishEnv(t)
	_, rep, stderr := analyzeJSON(t, nil, "--all", "../../internal/parse/netstat/testdata/linux-netns-tlp-names.txt")
	if rep == nil {
		t.Fatal(stderr)
	}
	noted := false
	for _, r := range rep.Rows {
		if r.Port != 6310 {
			continue
		}
		for _, n := range r.Notes {
			if n.Key == "address.printed" && slices.Contains(n.Args, "localhost") {
				noted = true
			}
		}
	}
	if !noted {
		t.Errorf("localhost:6310 has no note that the tool printed a name: %+v", rep.Rows)
	}
}
