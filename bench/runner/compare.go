// Command runner times openports against ss, netstat, lsof, a gopsutil
// program and the floor program on one scenario (bench/scenario), in one
// run: every tool once per round, the starting tool rotating from round to
// round so that runs of any two tools alternate and drift of the machine
// cancels out in their ratio. It reports medians, ratios to openports
// (medians of the per-round ratios), CPU time, peak RSS (wait4 rusage),
// whether each tool found the same sockets and owners as `ss -tulpn`, and
// the targets, as a markdown table written to
// bench/results/DATE-PRESET.md.
//
//	sudo go run ./bench/runner                  # small preset, 10 rounds
//	sudo go run ./bench/runner -preset conns10k -runs 15
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

// Holdings maps a listening socket ("tcp 0.0.0.0:22", "udp [::]:53") to
// the sorted PIDs holding it. It is what every tool's output is reduced to
// before comparison.
type Holdings map[string][]int

// sockKey is the Holdings key of a socket.
func sockKey(proto string, local netip.AddrPort) string {
	return proto + " " + netip.AddrPortFrom(local.Addr().Unmap(), local.Port()).String()
}

// add records pid as a holder of key; pid 0 means none seen.
func (h Holdings) add(key string, pid int) {
	pids := h[key]
	if pid > 0 && !slices.Contains(pids, pid) {
		pids = append(pids, pid)
		slices.Sort(pids)
	}
	h[key] = pids
}

// listening reports whether a socket of proto in state st is one that
// `ss -tul` lists.
func listening(proto snapshot.Proto, st snapshot.State) bool {
	return (proto == snapshot.TCP && st == snapshot.Listen) || (proto == snapshot.UDP && st == snapshot.Unconnected)
}

// FromSnapshot reduces a parsed tool output to its listening TCP and
// unconnected UDP sockets.
func FromSnapshot(s *snapshot.Snapshot) Holdings {
	h := Holdings{}
	for _, so := range s.Sockets {
		if !listening(so.Proto, so.State) {
			continue
		}
		k := sockKey(string(so.Proto), so.Local)
		h.add(k, 0)
		for _, o := range so.Owners {
			h.add(k, o.PID)
		}
	}
	return h
}

// FromReport reduces an openports JSON report (docs/json.md).
func FromReport(r *report.Report) Holdings {
	h := Holdings{}
	for _, row := range r.Rows {
		for _, so := range row.Sockets {
			if !listening(so.Proto, so.State) {
				continue
			}
			k := sockKey(string(so.Proto), so.Local)
			h.add(k, 0)
			for _, o := range so.Owners {
				h.add(k, o.PID)
			}
		}
	}
	return h
}

// ParseFloor reads the floor program's "PROTO ADDRESS:PORT INODE PIDS"
// lines (PIDS is "-" or comma-separated).
func ParseFloor(b []byte) (Holdings, error) {
	h := Holdings{}
	err := eachRecord(b, "floor", "PROTO ADDRESS:PORT INODE PIDS", func(n int, f []string, ap netip.AddrPort) error {
		k := sockKey(f[0], ap)
		h.add(k, 0)
		if f[3] == "-" {
			return nil
		}
		for _, p := range strings.Split(f[3], ",") {
			pid, err := strconv.Atoi(p)
			if err != nil || pid <= 0 {
				return fmt.Errorf("floor line %d: PID %q", n, p)
			}
			h.add(k, pid)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// ParseGopsutil reads bench/gopsutil-conns's "PROTO ADDRESS:PORT PID"
// lines (PID 0 when gopsutil found no holder).
func ParseGopsutil(b []byte) (Holdings, error) {
	h := Holdings{}
	err := eachRecord(b, "gopsutil", "PROTO ADDRESS:PORT PID", func(n int, f []string, ap netip.AddrPort) error {
		pid, err := strconv.Atoi(f[2])
		if err != nil || pid < 0 {
			return fmt.Errorf("gopsutil line %d: PID %q", n, f[2])
		}
		h.add(sockKey(f[0], ap), pid)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// eachRecord calls fn for every non-empty line of a tool's output whose
// fields match format (space-separated, the second an ADDRESS:PORT),
// with the line number, the fields and the parsed address.
func eachRecord(b []byte, tool, format string, fn func(n int, f []string, ap netip.AddrPort) error) error {
	want := len(strings.Fields(format))
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != want {
			return fmt.Errorf("%s line %d: want %s, got %q", tool, n, format, sc.Text())
		}
		ap, err := netip.ParseAddrPort(f[1])
		if err != nil {
			return fmt.Errorf("%s line %d: %w", tool, n, err)
		}
		if err := fn(n, f, ap); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s output: %w", tool, err)
	}
	return nil
}

// Owners says how much of a socket's holder list a tool reports.
type Owners int

const (
	// NoOwners: the tool lists sockets only (ss -tuln).
	NoOwners Owners = iota
	// OneOwner: the tool names one holder per socket (netstat, gopsutil).
	OneOwner
	// AllOwners: the tool names every holder (ss -p, lsof, openports).
	AllOwners
)

// Compare lists how got differs from the reference ref (ss -tulpn): missing
// and extra sockets, and holders, as far as a tool of kind o reports them.
// An empty result means they agree.
func Compare(ref, got Holdings, o Owners) []string {
	var diffs []string
	for _, k := range sortedKeys(ref) {
		g, ok := got[k]
		if !ok {
			diffs = append(diffs, "missing "+k)
			continue
		}
		r := ref[k]
		switch o {
		case AllOwners:
			if !slices.Equal(r, g) {
				diffs = append(diffs, fmt.Sprintf("%s: holders %v, ss says %v", k, g, r))
			}
		case OneOwner:
			switch {
			case len(r) > 0 && len(g) == 0:
				diffs = append(diffs, fmt.Sprintf("%s: no holder, ss says %v", k, r))
			case len(g) > 1 || (len(g) == 1 && !slices.Contains(r, g[0])):
				diffs = append(diffs, fmt.Sprintf("%s: holder %v, ss says %v", k, g, r))
			}
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := ref[k]; !ok {
			diffs = append(diffs, "extra "+k)
		}
	}
	return diffs
}

// Proto returns the holdings of protocol proto only.
func (h Holdings) Proto(proto string) Holdings {
	out := Holdings{}
	for k, v := range h {
		if strings.HasPrefix(k, proto+" ") {
			out[k] = v
		}
	}
	return out
}

func sortedKeys(h Holdings) []string {
	ks := make([]string, 0, len(h))
	for k := range h {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
