//go:build amd64 || arm64

package iptables

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/openports/openports/internal/firewall"
)

// The kernel interface iptables-legacy-save reads tables through
// (linux/netfilter_ipv4/ip_tables.h, linux/netfilter_ipv6/ip6_tables.h,
// linux/netfilter/x_tables.h). The layouts below are those of amd64 and
// arm64 (the 64-bit counters of an entry are 8-byte aligned).
const (
	soGetInfo    = 64 // IPT_SO_GET_INFO and IP6T_SO_GET_INFO
	soGetEntries = 65 // IPT_SO_GET_ENTRIES and IP6T_SO_GET_ENTRIES
	tableNameLen = 32 // XT_TABLE_MAXNAMELEN
	numHooks     = 5  // NF_INET_NUMHOOKS
	// struct ipt_getinfo: name, valid_hooks, hook_entry[5],
	// underflow[5], num_entries, size.
	getInfoSize = tableNameLen + 4 + 4*numHooks + 4*numHooks + 4 + 4
	// struct ipt_get_entries: name, size, then the entries, 8-byte
	// aligned.
	getEntriesHeader = tableNameLen + 8
	// struct xt_entry_target: target_size, name[29], revision; a
	// standard target's verdict follows it.
	targetHeader = 32
	// Verdicts of a standard target: -NF_ACCEPT-1 and -NF_DROP-1.
	verdictAccept = -2
	verdictDrop   = -1
)

// entryLayout is where struct ipt_entry (IPv4) or struct ip6t_entry keeps
// target_offset and next_offset.
type entryLayout struct {
	domain, level int
	targetOffset  int
}

var layouts = map[string]entryLayout{
	// struct ipt_ip is 84 bytes, then nfcache.
	firewall.FamilyIP: {domain: unix.AF_INET, level: unix.SOL_IP, targetOffset: 88},
	// struct ip6t_ip6 is 136 bytes, then nfcache.
	firewall.FamilyIP6: {domain: unix.AF_INET6, level: unix.SOL_IPV6, targetOffset: 140},
}

// hookChains names the built-in chain of each netfilter hook, in the order
// iptables-save lists them.
var hookChains = [numHooks]string{"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"}

// readPolicies reads the legacy tables of family in the calling thread's
// network namespace from the kernel, as iptables-legacy-save does, when
// every one of them holds nothing but the policies of its built-in chains:
// no rule and no chain of its own. It returns what iptables-legacy-save
// would print for them, for Parse; ok is false when a table holds more,
// or when the kernel cannot be asked (no permission, no such table), and
// then iptables-legacy-save must be run.
func readPolicies(family string, tables []string) (save []byte, ok bool) {
	l, known := layouts[family]
	if !known || len(tables) == 0 {
		return nil, false
	}
	fd, err := unix.Socket(l.domain, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return nil, false
	}
	defer unix.Close(fd)
	var out bytes.Buffer
	for _, table := range tables {
		policies, ok := tablePolicies(fd, l, table)
		if !ok {
			return nil, false
		}
		fmt.Fprintf(&out, "*%s\n", table)
		for h, name := range hookChains {
			if p := policies[h]; p != "" {
				fmt.Fprintf(&out, ":%s %s [0:0]\n", name, p)
			}
		}
		out.WriteString("COMMIT\n")
	}
	return out.Bytes(), true
}

// tablePolicies returns the policy ("ACCEPT" or "DROP") of each built-in
// chain of table by hook ("" for a hook the table does not have), when the
// table holds only those policies.
func tablePolicies(fd int, l entryLayout, table string) (policies [numHooks]string, ok bool) {
	if len(table) >= tableNameLen {
		return policies, false
	}
	info := make([]byte, getInfoSize)
	copy(info, table)
	if getsockopt(fd, l.level, soGetInfo, info) != nil {
		return policies, false
	}
	le := binary.NativeEndian
	validHooks := le.Uint32(info[tableNameLen:])
	word := func(i int) uint32 { return le.Uint32(info[tableNameLen+4+4*i:]) }
	numEntries := le.Uint32(info[tableNameLen+4+8*numHooks:])
	size := le.Uint32(info[tableNameLen+4+8*numHooks+4:])
	// One policy entry per built-in chain and the table's closing
	// entry: any rule or chain of its own adds entries.
	if validHooks>>numHooks != 0 || numEntries != uint32(bits.OnesCount32(validHooks))+1 || size > 1<<16 {
		return policies, false
	}
	entries := make([]byte, getEntriesHeader+int(size))
	copy(entries, table)
	le.PutUint32(entries[tableNameLen:], size)
	if getsockopt(fd, l.level, soGetEntries, entries) != nil {
		return policies, false
	}
	blob := entries[getEntriesHeader:]
	for h := range numHooks {
		if validHooks&(1<<h) == 0 {
			continue
		}
		// The chain's first entry is its policy (its underflow).
		at := word(h)
		if at != word(numHooks+h) || int(at)+l.targetOffset+4 > len(blob) {
			return policies, false
		}
		e := blob[at:]
		target := int(le.Uint16(e[l.targetOffset:]))
		next := int(le.Uint16(e[l.targetOffset+2:]))
		if target+targetHeader+4 > next || next > len(e) {
			return policies, false
		}
		t := e[target:]
		if int(le.Uint16(t)) != targetHeader+8 || t[2] != 0 { // a standard target: no name
			return policies, false
		}
		switch int32(le.Uint32(t[targetHeader:])) {
		case verdictAccept:
			policies[h] = "ACCEPT"
		case verdictDrop:
			policies[h] = "DROP"
		default:
			return policies, false
		}
	}
	return policies, true
}

// getsockopt calls getsockopt(2) with buf as the option's value, in and
// out (the table's name goes in).
func getsockopt(fd, level, opt int, buf []byte) error {
	n := uint32(len(buf))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return e
	}
	return nil
}
