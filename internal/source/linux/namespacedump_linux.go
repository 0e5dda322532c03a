package linux

import (
	"fmt"

	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

// NamespaceDump lists the sockets of one network namespace again and
// again (watch's polls) through the collection core's dump, over one
// sock_diag socket kept open between dumps: a refused or failed dump falls
// back to /proc/net with a gap, as it does for list, so that a failure
// never reads as "no sockets".
type NamespaceDump struct {
	c    *Collector
	ns   namespace
	conn DiagConn // nil until opened, and after a failed dump
}

// NamespaceTarget is the namespace a NamespaceDump lists.
type NamespaceTarget struct {
	// ID is the namespace's inode; Name its `ip netns` name, if any.
	ID   uint64
	Name string
	// FD refers to the namespace (its file stays open as long as the
	// NamespaceDump, which closes it); -1 for the caller's own, which is
	// read without entering it.
	FD int
	// PID is a process inside it, whose /proc/PID/net is the fall-back
	// (0: the caller's namespace, or none known).
	PID int
}

// OpenNamespaceDump opens sock_diag in the namespace t names. It fails
// only when sock_diag cannot be opened at all and opt.NoNetlink is unset;
// then nothing was taken over (the caller still owns t.FD).
func OpenNamespaceDump(opt source.Options, in Inputs, t NamespaceTarget) (*NamespaceDump, error) {
	c := NewWithInputs(opt, in)
	d := &NamespaceDump{c: c, ns: namespace{info: snapshot.Namespace{ID: t.ID, Name: t.Name, Current: t.FD < 0}, fd: t.FD, pid: t.PID}}
	if !opt.NoNetlink {
		conn, err := c.in.Diag.Open(t.FD)
		if err != nil {
			return nil, err
		}
		d.conn = conn
	}
	return d, nil
}

// Dump lists the sockets q asks for, tagged with the namespace, and the
// gaps of this dump (a fall-back to /proc/net says why). An error means
// neither sock_diag nor /proc/net could be read: the caller knows nothing
// of the namespace's sockets, and must not take them for gone.
func (d *NamespaceDump) Dump(q sockdiag.Query) ([]snapshot.Socket, []snapshot.Gap, error) {
	var scratch snapshot.Snapshot
	socks, err := d.c.dumpWith(&scratch, &d.ns, q, d.diag)
	if err != nil {
		return nil, scratch.Gaps, err
	}
	for i := range socks {
		socks[i].NetNS = d.ns.info.ID
	}
	return socks, scratch.Gaps, nil
}

// diag dumps over the kept socket, opening it again after a failure (a
// socket whose dump failed mid-way may still hold part of its reply).
func (d *NamespaceDump) diag(q sockdiag.Query) (*sockdiag.Result, error) {
	if d.conn == nil {
		conn, err := d.c.in.Diag.Open(d.ns.fd)
		if err != nil {
			return nil, err
		}
		d.conn = conn
	}
	res, err := d.conn.Dump(q)
	if err != nil {
		d.conn.Close()
		d.conn = nil
	}
	return res, err
}

// Close closes the sock_diag socket and the namespace's file.
func (d *NamespaceDump) Close() {
	if d.conn != nil {
		d.conn.Close()
		d.conn = nil
	}
	if d.ns.fd >= 0 {
		d.c.in.NetNS.Close(d.ns.fd)
		d.ns.fd = -1
	}
}

// RouteLocalnet returns the interfaces of the namespace through which other
// machines reach its IPv4 loopback sockets (route_localnet on, see
// Collector.markRouteLocalnet), read as list reads them. An error means
// the interfaces or the setting could not be read: the namespace's IPv4
// loopback sockets are then not proven loopback-only.
func (d *NamespaceDump) RouteLocalnet() ([]snapshot.Interface, error) {
	ifs, err := d.c.in.Interfaces.Interfaces(d.ns.fd)
	if err != nil {
		return nil, fmt.Errorf("interfaces of network namespace %s: %w", nsLabel(&d.ns), err)
	}
	if err := d.c.routeLocalnet(&d.ns, ifs); err != nil {
		return nil, fmt.Errorf("route_localnet of network namespace %s: %w", nsLabel(&d.ns), err)
	}
	var on []snapshot.Interface
	for _, ifc := range ifs {
		if ifc.RouteLocalnet {
			ifc.NetNS = d.ns.info.ID
			on = append(on, ifc)
		}
	}
	return on, nil
}
