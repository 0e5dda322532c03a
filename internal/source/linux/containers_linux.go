package linux

import (
	"cmp"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/firewall"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/containers"
	"github.com/openports/openports/internal/source/linux/natrules"
	"github.com/openports/openports/internal/source/linux/netif"
)

// addContainers reads the ports the host publishes by destination NAT,
// finds the namespace holding each target address, and names every
// namespace after the container or pod its processes' cgroup names.
// byNS maps namespaces to their PIDs (from the owner scan with --netns
// all); without it the namespaces are listed only when a DNAT target must
// be placed. owners are the holders of the sockets, by inode: a
// slirp4netns among them forwards into the namespace its command line
// names (Namespace.ForwardedBy). A fake /proc tree (tests) has no kernel
// rules to match, so nothing is read there.
func (c *Collector) addContainers(snap *snapshot.Snapshot, self uint64, byNS map[uint64][]int, owners map[uint64][]snapshot.Owner) {
	if c.proc != "/proc" {
		return
	}
	// The NAT rules are part of the packet filter read for the firewall
	// verdicts (readFirewall): no second dump, no second iptables-save.
	var rulesets []*natrules.Ruleset
	if fw := snap.Firewall; fw != nil {
		rulesets = natrules.Rulesets(fw)
		snap.Gaps = append(snap.Gaps, natGaps(fw, rulesets)...)
	}
	for _, b := range natrules.Backends(rulesets) {
		snap.NATBackends = append(snap.NATBackends, string(b))
	}
	snap.Published = published(rulesets)

	forwarded := c.forwarders(owners)
	if needsTargets(snap.Published) || len(forwarded) > 0 {
		var blind error
		if byNS == nil {
			// Without --netns all: the core's one namespace discovery.
			var denied int
			var err error
			byNS, denied, err = c.in.NetNS.ByProcess()
			switch {
			case err != nil:
				blind = err
			case denied > 0:
				blind = fmt.Errorf("the network namespace of %d processes could not be read", denied)
			}
		}
		c.placeTargets(snap, self, byNS, blind)
		listed := map[uint64]bool{}
		for _, ns := range snap.Namespaces {
			listed[ns.ID] = true
		}
		add := func(id uint64) {
			if id != 0 && !listed[id] {
				listed[id] = true
				snap.Namespaces = append(snap.Namespaces, snapshot.Namespace{ID: id})
			}
		}
		for _, p := range snap.Published {
			add(p.TargetNetNS)
		}
		for id := range forwarded {
			add(id)
		}
		slices.SortFunc(snap.Namespaces[1:], func(a, b snapshot.Namespace) int { return cmp.Compare(a.ID, b.ID) })
		for i := range snap.Namespaces {
			snap.Namespaces[i].ForwardedBy = forwarded[snap.Namespaces[i].ID]
		}
	}
	// The holders' cgroups were read with the rest of their identity.
	cgroups := map[int]string{}
	for _, held := range owners {
		for _, o := range held {
			if o.Cgroup != "" {
				cgroups[o.PID] = o.Cgroup
			}
		}
	}
	namer := &containers.Namer{Root: "/"}
	for i := range snap.Namespaces {
		ns := &snap.Namespaces[i]
		pids := byNS[ns.ID]
		if ns.Current {
			pids = append([]int{os.Getpid()}, pids...)
		}
		for j, pid := range pids {
			if j == 16 {
				break // processes of one namespace share its container
			}
			cg, ok := cgroups[pid]
			if !ok {
				cg = containers.ReadCgroup(c.proc, pid)
			}
			ref, ok := containers.ParseCgroup(cg)
			if !ok {
				continue
			}
			ns.Container = namer.Name(ref, cg)
			if ns.Name == "" {
				ns.Name = containers.Label(ns.Container)
			}
			break
		}
	}
}

// forwarders maps namespaces to the PIDs of the user-mode forwarders among
// owners that forward into them, each found by what names its namespace
// on the host (only the namespace, not which container port a host port
// serves, is known):
//   - slirp4netns, on its command line as Podman starts it: "... PID
//     TAPNAME" or "--netns-type=path PATH TAPNAME";
//   - pasta (process name passt or passt.avx2, argv[0] pasta), by the
//     "--netns PATH" Podman gives it, else a last argument PID;
//   - Podman's rootlessport, whose configuration comes on standard input,
//     by its child: it re-executes itself as "rootlessport-child" inside
//     the container's namespace.
func (c *Collector) forwarders(owners map[uint64][]snapshot.Owner) map[uint64][]int {
	out := map[uint64][]int{}
	seen := map[int]bool{}
	for _, holders := range owners {
		for _, o := range holders {
			if seen[o.PID] {
				continue
			}
			seen[o.PID] = true
			var path string
			switch {
			case o.Name == "slirp4netns" && len(o.Cmdline) >= 3:
				path = c.nsPath(o.Cmdline[len(o.Cmdline)-2]) // the last is TAPNAME
			case isPasta(o):
				path = c.pastaNetNS(o.Cmdline)
			case o.Name == "rootlessport":
				path = c.rootlessportChildNetNS(o.PID)
			}
			if path == "" {
				continue
			}
			if id, err := nsInode(path); err == nil {
				out[id] = append(out[id], o.PID)
			}
		}
	}
	for id := range out {
		slices.Sort(out[id])
	}
	return out
}

// nsPath is a namespace named on a command line: a PID's namespace, or an
// absolute path (a bind mount under /run/netns or /run/user/UID/netns);
// "" for anything else.
func (c *Collector) nsPath(arg string) string {
	if _, err := strconv.Atoi(arg); err == nil {
		return filepath.Join(c.proc, arg, "ns/net")
	}
	if strings.HasPrefix(arg, "/") {
		return arg
	}
	return ""
}

// isPasta: pasta is passt's binary run under the name pasta (its process
// name stays passt or passt.avx2); passt itself serves virtual machines,
// not namespaces.
func isPasta(o snapshot.Owner) bool {
	return strings.HasPrefix(o.Name, "pas") && len(o.Cmdline) > 0 && strings.HasPrefix(filepath.Base(o.Cmdline[0]), "pasta")
}

// pastaNetNS is the namespace pasta's command line joins: "--netns PATH"
// or "--netns=PATH" (Podman), else a last argument that is a PID.
func (c *Collector) pastaNetNS(argv []string) string {
	for i, a := range argv {
		if v, ok := strings.CutPrefix(a, "--netns="); ok {
			return c.nsPath(v)
		}
		if a == "--netns" && i+1 < len(argv) {
			return c.nsPath(argv[i+1])
		}
	}
	if last := argv[len(argv)-1]; len(argv) > 1 {
		if _, err := strconv.Atoi(last); err == nil {
			return c.nsPath(last)
		}
	}
	return ""
}

// rootlessportChildNetNS is the namespace of rootlessport's child, the
// process it starts as "rootlessport-child" in the container's namespace;
// "" when the kernel does not list children (CONFIG_PROC_CHILDREN) or no
// such child runs.
func (c *Collector) rootlessportChildNetNS(pid int) string {
	b, err := os.ReadFile(filepath.Join(c.proc, strconv.Itoa(pid), "task", strconv.Itoa(pid), "children"))
	if err != nil {
		return ""
	}
	for _, child := range strings.Fields(string(b)) {
		argv, err := os.ReadFile(filepath.Join(c.proc, child, "cmdline"))
		if err != nil {
			continue
		}
		if arg0, _, _ := strings.Cut(string(argv), "\x00"); arg0 == "rootlessport-child" {
			return filepath.Join(c.proc, child, "ns/net")
		}
	}
	return ""
}

// published turns the DNAT rules of every backend into snapshot records,
// one per published address, port and target; when several paths reach
// one rule, the one with the fewest undecoded conditions is kept.
// natGaps are the published gaps of a packet filter read: a backend not
// read, and a NAT chain read but not decoded, which may publish any port.
func natGaps(fw *firewall.Ruleset, rulesets []*natrules.Ruleset) []snapshot.Gap {
	var out []snapshot.Gap
	gap := func(what string) {
		out = append(out, snapshot.Gap{Area: "published", Reason: "nat-unreadable",
			Args:   map[string]string{"error": what},
			Detail: fmt.Sprintf("NAT rules: %s; ports published by DNAT (Docker, Podman, Kubernetes) may be missing", what)})
	}
	for _, u := range fw.Unread {
		gap(u.Detail)
	}
	for _, rs := range rulesets {
		for _, u := range rs.Undecoded {
			gap(u.String())
		}
	}
	return out
}

func published(rulesets []*natrules.Ruleset) []snapshot.Published {
	type key struct {
		proto  snapshot.Proto
		addr   netip.Prefix
		port   uint16
		target netip.AddrPort
	}
	// Paths to one rule that differ only in undecoded conditions are
	// alternatives: one without conditions says all, and replaces those
	// with; others stay side by side.
	var out []snapshot.Published
	plain := map[key]bool{} // keys with a path without conditions
	for _, rs := range rulesets {
		for _, m := range rs.Mappings() {
			// A rule without a protocol or port (a 1:1 NAT of a
			// whole address) publishes every port: one record per
			// protocol, ports 1-65535.
			protos := []string{m.Proto}
			if m.Proto == "" {
				protos = []string{"tcp", "udp", "sctp"}
			}
			ports := m.Ports
			if ports.Any() {
				ports = natrules.PortRange{First: 1, Last: 65535}
			}
			for _, proto := range protos {
				p := snapshot.Published{
					Proto: snapshot.Proto(proto), Address: m.Dst, AddressNot: m.DstNot,
					Port: ports.First, InInterface: m.InIface, InInterfaceNot: m.InIfaceNot,
					Redirect: m.Redirect, Backend: string(m.Backend), Table: m.Table, Chain: m.Chain,
					Comment: m.Comment, Conditions: m.Unknown,
				}
				if ports.Last != ports.First {
					p.PortLast = ports.Last
				}
				p.Target = netip.AddrPortFrom(m.To, m.ToPorts.First)
				if !p.Address.IsValid() {
					// Every local address of the target's family
					// (of the table's, for a redirect).
					if m.To.Is6() && !m.To.Is4In6() || (!m.To.IsValid() && m.Family == "ip6") {
						p.Address = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
					} else {
						p.Address = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
					}
				}
				k := key{p.Proto, p.Address, p.Port, p.Target}
				if len(p.Conditions) == 0 {
					if plain[k] {
						continue
					}
					plain[k] = true
				}
				out = append(out, p)
			}
		}
	}
	return slices.DeleteFunc(out, func(p snapshot.Published) bool {
		return len(p.Conditions) > 0 && plain[key{p.Proto, p.Address, p.Port, p.Target}]
	})
}

func needsTargets(ps []snapshot.Published) bool {
	for _, p := range ps {
		if p.Target.Addr().IsValid() {
			return true
		}
	}
	return false
}

// placeTargets finds, for each published target address, the network
// namespace with an interface holding it (its own namespace when the
// address is local), looking into each namespace of byNS that is wired
// to this one (netif.Connected: a veth or macvlan crosses between them)
// until every target is placed. Namespaces not wired to this one cannot
// receive its DNAT traffic, however their addresses look.
//
// A target left unplaced is "held by no namespace" only when every
// namespace was looked into: blind (why some could not be, from the
// caller's discovery) or a namespace that could not be entered or listed
// here makes it a gap instead.
func (c *Collector) placeTargets(snap *snapshot.Snapshot, self uint64, byNS map[uint64][]int, blind error) {
	want := map[netip.Addr]uint64{}
	for _, p := range snap.Published {
		if a := p.Target.Addr(); a.IsValid() {
			want[a.Unmap()] = 0
		}
	}
	found := 0
	look := func(id uint64, ifs []snapshot.Interface) {
		for _, i := range ifs {
			for _, a := range i.Addrs {
				if v, ok := want[a.Addr().Unmap()]; ok && v == 0 {
					want[a.Addr().Unmap()] = id
					found++
				}
			}
		}
	}
	// The collector listed its own namespace's interfaces already
	// (collectNamespace); they are asked for again only when that
	// listing failed.
	var own []snapshot.Interface
	for _, i := range snap.Interfaces {
		if i.NetNS == self {
			own = append(own, i)
		}
	}
	if len(own) == 0 {
		var err error
		if own, err = c.in.Interfaces.Interfaces(-1); err != nil && blind == nil {
			blind = fmt.Errorf("list the interfaces of namespace %d: %w", self, err)
		}
	}
	look(self, own)
	ids := make([]uint64, 0, len(byNS))
	for id := range byNS {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if found == len(want) {
			break
		}
		if id == self {
			continue
		}
		var missed error
		for _, pid := range byNS[id] {
			fd, err := unix.Open(filepath.Join(c.proc, strconv.Itoa(pid), "ns/net"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				// Another process of the namespace may still open it.
				missed = fmt.Errorf("enter namespace %d through process %d: %w", id, pid, err)
				continue
			}
			missed = nil
			wired, err := netif.Connected(fd)
			switch {
			case err != nil:
				missed = fmt.Errorf("tell whether namespace %d has interfaces: %w", id, err)
			case wired:
				ifs, err := c.in.Interfaces.Interfaces(fd)
				if err != nil {
					missed = fmt.Errorf("list the interfaces of namespace %d: %w", id, err)
				} else {
					look(id, ifs)
				}
			}
			unix.Close(fd)
			break
		}
		// A namespace whose processes all exited meanwhile holds no
		// target any more: only one that is still there is a blind spot.
		if missed != nil && !Vanished(missed) && blind == nil {
			blind = missed
		}
	}
	unplaced := 0
	for i := range snap.Published {
		p := &snap.Published[i]
		p.TargetNetNS = want[p.Target.Addr().Unmap()]
		if p.Target.Addr().IsValid() && p.TargetNetNS == 0 {
			unplaced++
		}
	}
	if unplaced > 0 && blind != nil {
		snap.Gaps = append(snap.Gaps, snapshot.Gap{Area: "published", Reason: "targets-unplaced",
			Args:   map[string]string{"count": strconv.Itoa(unplaced), "error": blind.Error()},
			Detail: fmt.Sprintf("%d published port(s) name a target address no namespace looked into holds, and not every namespace could be looked into (%v): their container is unknown", unplaced, blind),
			Count:  unplaced})
	}
}
