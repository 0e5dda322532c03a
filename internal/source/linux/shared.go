package linux

import (
	"bufio"
	"bytes"
	"fmt"
	"os/user"
	"strconv"
	"strings"
	"sync"

	"github.com/openports/openports/internal/snapshot"
)

// The pieces every Linux command shares (list, snapshot, check, watch): one
// user-name cache, one ephemeral-range and sysctl reader, one parser of
// namespace links and of uid maps.

// UserCache names user ids once per run, for the sockets' uids and the
// owners'. It is safe for concurrent use. In a user namespace, uids are
// named by the host uid IDMap maps them to (Map); a uid the map does not
// reach has no name.
type UserCache struct {
	// Map, when set, translates the namespace's uids to the host's
	// before they are looked up.
	Map *IDMap
	// Lookup names a host uid; nil is os/user.
	Lookup func(uid uint32) (string, error)
	// mapOf, when set, gives Map at the first lookup: the collector
	// learns whether it runs in a user namespace beside the owner scan.
	mapOf func() *IDMap

	mu    sync.Mutex
	names map[uint32]string
	errs  map[uint32]error
}

// LookupUser names uid, remembering the answer and its error.
func (u *UserCache) LookupUser(uid uint32) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if name, ok := u.names[uid]; ok {
		return name, u.errs[uid]
	}
	if u.names == nil {
		u.names = map[uint32]string{}
	}
	u.resolveMap()
	name, err := u.lookup(uid)
	if err != nil {
		if u.errs == nil {
			u.errs = map[uint32]error{}
		}
		u.errs[uid] = err
	}
	u.names[uid] = name
	return name, err
}

// resolveMap sets Map from mapOf, once; u.mu is held.
func (u *UserCache) resolveMap() {
	if u.mapOf != nil {
		u.Map, u.mapOf = u.mapOf(), nil
	}
}

// idMap returns Map, set from mapOf if it was not yet.
func (u *UserCache) idMap() *IDMap {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.resolveMap()
	return u.Map
}

func (u *UserCache) lookup(uid uint32) (string, error) {
	host := uid
	if u.Map != nil {
		h, ok := u.Map.ToHost(uid)
		if !ok {
			return "", fmt.Errorf("uid %d is not mapped out of this user namespace", uid)
		}
		host = h
	}
	if u.Lookup != nil {
		return u.Lookup(host)
	}
	usr, err := user.LookupId(strconv.FormatUint(uint64(host), 10))
	if err != nil {
		return "", err
	}
	return usr.Username, nil
}

// Name is LookupUser without the error: the name is left empty when the
// uid has none (the uid itself is kept).
func (u *UserCache) Name(uid uint32) string {
	name, _ := u.LookupUser(uid)
	return name
}

// IDMap is a /proc/PID/uid_map: ranges of ids inside a user namespace and
// the ids outside (in the parent namespace) they stand for.
type IDMap struct {
	ranges []idRange
}

type idRange struct{ inside, outside, count uint64 }

// ParseIDMap parses a uid_map or gid_map ("inside outside count" per line).
func ParseIDMap(b []byte) (*IDMap, error) {
	m := &IDMap{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("uid_map line %d: want 3 fields (inside outside count), got %q", n, sc.Text())
		}
		var v [3]uint64
		for i := range f {
			x, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("uid_map line %d: field %d: %w", n, i+1, err)
			}
			v[i] = x
		}
		m.ranges = append(m.ranges, idRange{v[0], v[1], v[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read uid_map: %w", err)
	}
	return m, nil
}

// ToHost returns the id outside the namespace that id inside stands for;
// false when no range maps it (the kernel shows such ids as the overflow
// id, 65534).
func (m *IDMap) ToHost(id uint32) (uint32, bool) {
	for _, r := range m.ranges {
		if uint64(id) >= r.inside && uint64(id)-r.inside < r.count {
			return uint32(r.outside + uint64(id) - r.inside), true
		}
	}
	return 0, false
}

// ParsePortRange parses net.ipv4.ip_local_port_range ("32768\t60999\n").
func ParsePortRange(b []byte) (*snapshot.PortRange, bool) {
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return nil, false
	}
	lo, err1 := strconv.ParseUint(f[0], 10, 16)
	hi, err2 := strconv.ParseUint(f[1], 10, 16)
	if err1 != nil || err2 != nil || lo > hi {
		return nil, false
	}
	return &snapshot.PortRange{First: uint16(lo), Last: uint16(hi)}, true
}

// ParseNetNSLink parses the target of a /proc/PID/ns/net link, "net:[INO]".
func ParseNetNSLink(b []byte) (uint64, bool) {
	s, ok := strings.CutPrefix(string(b), "net:[")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "]")
	if !ok {
		return 0, false
	}
	ino, err := strconv.ParseUint(s, 10, 64)
	return ino, err == nil
}
