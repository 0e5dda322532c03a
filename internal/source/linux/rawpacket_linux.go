package linux

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/kernfile"
	"github.com/openports/openports/internal/source/linux/procnet"
)

// ReasonRawUnreadable: the raw or packet socket table of a namespace could
// not be read, so nothing says that no such socket receives packets there.
const ReasonRawUnreadable = "raw-unreadable"

// ipprotoRaw (IPPROTO_RAW) raw sockets only send (raw(7)), and a packet
// socket of protocol 0 receives nothing until it is bound to one: neither
// takes packets from other machines.
const ipprotoRaw = 255

// rawTables are the /proc/net tables rawPacket reads: raw ones only when
// they are not rows already (--raw).
func (c *Collector) rawTables() []string {
	if c.opt.Raw {
		return []string{"packet"}
	}
	return []string{"packet", "raw", "raw6"}
}

// rawPacket lists the raw and packet sockets of ns that the socket rows do
// not: three small /proc/net tables, of the collector's namespace or, for
// another, through a process inside it (/proc/PID/net), else read by a
// thread that entered it (/proc/thread-self/net). A table the kernel does
// not have (no IPv6, no AF_PACKET) holds no socket; one that cannot be
// read is a gap, since the summary may not then say nothing is reachable.
func (c *Collector) rawPacket(snap *snapshot.Snapshot, ns *namespace) []snapshot.RawSocket {
	tables := c.rawTables()
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = "thread-self/net/" + t // the reading thread's namespace, never the leader's
	}
	vals, errs := c.readThroughPID(ns, tables)
	if vals == nil {
		vals, errs = c.readInNamespace(ns, names)
	}
	if vals == nil {
		snap.RawTablesRead = false
		return nil // a test's proc tree: no other namespace to enter
	}
	var out []snapshot.RawSocket
	var failed []string
	for i, t := range tables {
		if errors.Is(errs[i], fs.ErrNotExist) {
			continue
		}
		err := errs[i]
		if err == nil {
			out, err = parseRawTable(out, t, vals[i], ns.info.ID)
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("/proc/net/%s: %v", t, err))
		}
	}
	if failed != nil {
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "sockets", Reason: ReasonRawUnreadable,
			Args:   map[string]string{"netns": nsLabel(ns), "error": strings.Join(failed, "; ")},
			Detail: fmt.Sprintf("raw and packet sockets of network namespace %s could not all be read (%s): one may receive packets from other machines unseen", nsLabel(ns), strings.Join(failed, "; "))})
	}
	return out
}

// readThroughPID reads /proc/PID/net/<table> of a process inside ns other
// than the collector's own: no thread need enter ns (a setns there and
// back costs about as much as the reads). nil when ns has no such process,
// the proc root is a test's, or the process was not in ns before and after
// the reads (it exited, and its PID was reused).
func (c *Collector) readThroughPID(ns *namespace, tables []string) ([][]byte, []error) {
	if ns.info.Current || ns.pid <= 0 || c.proc != "/proc" {
		return nil, nil
	}
	dir := filepath.Join(c.proc, strconv.Itoa(ns.pid))
	inNS := func() bool {
		var st unix.Stat_t
		return unix.Stat(filepath.Join(dir, "ns/net"), &st) == nil && st.Ino == ns.info.ID
	}
	if !inNS() {
		return nil, nil
	}
	vals, errs := make([][]byte, len(tables)), make([]error, len(tables))
	for i, t := range tables {
		vals[i], errs[i] = kernfile.Read(filepath.Join(dir, "net", t))
	}
	if !inNS() {
		return nil, nil
	}
	return vals, errs
}

// parseRawTable appends the sockets of /proc/net/<table> (b) that receive
// packets to out.
func parseRawTable(out []snapshot.RawSocket, table string, b []byte, netns uint64) ([]snapshot.RawSocket, error) {
	if table == "packet" {
		pk, err := procnet.ParsePacket(bytes.NewReader(b))
		if err != nil {
			return out, err
		}
		for _, p := range pk {
			if p.Protocol == 0 {
				continue
			}
			out = append(out, snapshot.RawSocket{Kind: "packet", NetNS: netns, Inode: p.Inode, Protocol: p.Protocol,
				IfIndex: p.IfIndex, UID: snapshot.Uint32(p.UID)})
		}
		return out, nil
	}
	fam, family := procnet.AFInet, "inet"
	if table == "raw6" {
		fam, family = procnet.AFInet6, "inet6"
	}
	socks, err := procnet.Parse(bytes.NewReader(b), snapshot.Raw, fam, nil)
	if err != nil {
		return out, err
	}
	for _, s := range socks {
		if s.Local.Port() == ipprotoRaw { // the protocol, in a raw table's port column
			continue
		}
		out = append(out, snapshot.RawSocket{Kind: "raw", NetNS: netns, Inode: s.Inode, Family: family,
			Protocol: s.Local.Port(), UID: s.UID})
	}
	return out, nil
}

// attachRawOwners names the holders of snap.RawSockets and the interfaces
// of the bound packet sockets, as attachOwners does for the rows.
func attachRawOwners(snap *snapshot.Snapshot, owners map[uint64][]snapshot.Owner, hidden bool) {
	for i := range snap.RawSockets {
		r := &snap.RawSockets[i]
		r.Owners = owners[r.Inode]
		switch {
		case len(r.Owners) > 0 && hidden:
			r.OwnerState = snapshot.OwnersPartial
		case len(r.Owners) > 0:
			r.OwnerState = snapshot.OwnersComplete
		case hidden:
			r.OwnerState = snapshot.OwnersUnknown
		default:
			r.OwnerState = snapshot.OwnersNone
		}
		if r.IfIndex != 0 {
			for _, ifc := range snap.Interfaces {
				if ifc.NetNS == r.NetNS && ifc.Index == r.IfIndex {
					r.Interface = ifc.Name
				}
			}
		}
	}
	slices.SortFunc(snap.RawSockets, func(a, b snapshot.RawSocket) int {
		return cmp.Or(cmp.Compare(a.NetNS, b.NetNS), cmp.Compare(a.Inode, b.Inode))
	})
}
