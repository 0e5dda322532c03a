package firewall

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Text renders a rule's expressions in nft(8)'s words, close enough for a
// person to find the rule: "tcp dport 22 accept", "ip saddr 10.0.0.0/8 drop".
func Text(exprs []Expr) string {
	var words []string
	regs := map[uint32]string{}
	imm := map[uint32][]byte{} // immediate data, for nat targets
	// A register's mask after a bitwise, until the register is loaded
	// again: a prefix length, or a mask that is none ("& 255.0.255.0").
	prefix := map[uint32]int{}
	mask := map[uint32][]byte{}
	for _, e := range exprs {
		switch e.Op {
		case "meta", "payload", "ct", "fib", "immediate", "bitwise":
			delete(prefix, e.Dreg)
			delete(mask, e.Dreg)
		}
		switch e.Op {
		case "meta":
			regs[e.Dreg] = metaName(e.Key)
		case "payload":
			regs[e.Dreg] = payloadName(e.Base, e.Offset, e.Len)
		case "ct":
			regs[e.Dreg] = "ct " + e.Key
		case "fib":
			regs[e.Dreg] = "fib " + strings.Join(e.Flags, " . ") + " " + e.Key
		case "bitwise":
			regs[e.Dreg] = regs[e.Sreg]
			if n, ok := PrefixLen(e.Mask); ok && isZero(e.Xor) {
				prefix[e.Dreg] = n
			} else if isZero(e.Xor) {
				mask[e.Dreg] = e.Mask
			}
		case "cmp":
			name := regs[e.Sreg]
			op := map[string]string{"eq": "", "neq": "!= ", "lt": "< ", "lte": "<= ", "gt": "> ", "gte": ">= "}[e.Cmp]
			val := value(name, e.Data)
			if n, ok := prefix[e.Sreg]; ok && (len(e.Data) == 4 || len(e.Data) == 16) {
				val = fmt.Sprintf("%s/%d", val, n)
			} else if m, ok := mask[e.Sreg]; ok && strings.HasSuffix(name, "addr") && len(m) == len(e.Data) && (len(m) == 4 || len(m) == 16) {
				// Not a prefix: as nft writes it, never as one address.
				name += " & " + value(name, m)
				if op == "" {
					op = "== "
				}
			}
			if name == "ct state" && e.Cmp == "neq" && isZero(e.Data) {
				// ct state bits: the mask of the preceding bitwise.
				words = append(words, "ct state "+ctStates(exprs, e.Sreg))
				continue
			}
			words = append(words, strings.TrimSpace(name+" "+op+val))
		case "range":
			op := ""
			if e.Cmp == "neq" {
				op = "!= "
			}
			words = append(words, regs[e.Sreg]+" "+op+value(regs[e.Sreg], e.Data)+"-"+value(regs[e.Sreg], e.To))
		case "lookup":
			switch {
			case e.Map:
				words = append(words, regs[e.Sreg]+" vmap @"+e.Set)
			case e.Invert:
				words = append(words, regs[e.Sreg]+" != @"+e.Set)
			default:
				words = append(words, regs[e.Sreg]+" @"+e.Set)
			}
		case "verdict":
			if e.Chain != "" {
				words = append(words, e.Verdict+" "+e.Chain)
			} else {
				words = append(words, e.Verdict)
			}
		case "immediate":
			regs[e.Dreg] = "0x" + hex.EncodeToString(e.Data)
			imm[e.Dreg] = e.Data
		case "reject":
			words = append(words, "reject")
		case "nat":
			words = append(words, natText(e, imm))
		case "queue":
			words = append(words, "queue")
		case "limit", "condition", "unmodelled":
			words = append(words, e.Reason)
		case "nop":
			if e.Key != "" {
				words = append(words, e.Key)
			}
		}
	}
	return strings.Join(words, " ")
}

func metaName(key string) string {
	switch key {
	case "iifname", "oifname", "iif", "oif", "l4proto", "nfproto", "mark", "pkttype", "iiftype":
		return "meta " + key
	}
	return "meta " + key
}

func payloadName(base string, off, n uint32) string {
	switch {
	case base == "network" && off == 9 && n == 1:
		return "ip protocol"
	case base == "network" && off == 12 && n == 4:
		return "ip saddr"
	case base == "network" && off == 16 && n == 4:
		return "ip daddr"
	case base == "network" && off == 12 && n == 8:
		return "ip saddr . ip daddr"
	case base == "network" && off == 6 && n == 1:
		return "ip6 nexthdr"
	case base == "network" && off == 8 && n == 16:
		return "ip6 saddr"
	case base == "network" && off == 24 && n == 16:
		return "ip6 daddr"
	case base == "transport" && off == 0 && n == 2:
		return "th sport"
	case base == "transport" && off == 2 && n == 2:
		return "th dport"
	case base == "transport" && off == 13 && n == 1:
		return "tcp flags"
	}
	return fmt.Sprintf("@%s,%d,%d", map[string]string{"ll": "ll", "network": "nh", "transport": "th"}[base], off*8, n*8)
}

// value formats register data the way nft prints the thing loaded.
func value(name string, data []byte) string {
	switch {
	case strings.HasSuffix(name, "addr") && len(data) == 4:
		return netip.AddrFrom4([4]byte(data)).String()
	case strings.HasSuffix(name, "addr") && len(data) == 16:
		return netip.AddrFrom16([16]byte(data)).String()
	case strings.HasSuffix(name, "port") && len(data) == 2:
		return strconv.Itoa(int(data[0])<<8 | int(data[1]))
	case name == "meta l4proto" || name == "ip protocol" || name == "ip6 nexthdr":
		if len(data) == 1 {
			if s := ProtoName(data[0]); s != "" {
				return s
			}
			return strconv.Itoa(int(data[0]))
		}
	case name == "meta nfproto" && len(data) == 1:
		switch data[0] {
		case 2:
			return "ipv4"
		case 10:
			return "ipv6"
		}
	case name == "meta iifname" || name == "meta oifname":
		return strconv.Quote(strings.TrimRight(string(data), "\x00"))
	case (name == "meta iif" || name == "meta oif") && len(data) == 4:
		return strconv.FormatUint(uint64(nativeUint32(data)), 10)
	case strings.HasSuffix(name, " type") && len(data) == 4:
		if s, ok := routeTypes[nativeUint32(data)]; ok {
			return s
		}
	}
	return "0x" + hex.EncodeToString(data)
}

var routeTypes = map[uint32]string{1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole", 7: "unreachable", 8: "prohibit"}

var ctStateBits = []string{"invalid", "established", "related", "new", "", "", "untracked"}

// ctStates names the state bits of the bitwise mask applied to register
// reg before a "!= 0" test.
func ctStates(exprs []Expr, reg uint32) string {
	var mask uint32
	for _, e := range exprs {
		if e.Op == "bitwise" && e.Dreg == reg {
			mask = nativeUint32(e.Mask)
		}
	}
	var names []string
	for i, n := range ctStateBits {
		if n != "" && mask&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// natText renders dnat to ADDR:PORT, redirect to :PORT, snat.
func natText(e Expr, imm map[uint32][]byte) string {
	to := ""
	if a, ok := imm[e.Sreg]; ok && e.Sreg != 0 {
		switch len(a) {
		case 4:
			to = netip.AddrFrom4([4]byte(a)).String()
		case 16:
			to = "[" + netip.AddrFrom16([16]byte(a)).String() + "]"
		}
	}
	if p, ok := imm[e.Dreg]; ok && e.Dreg != 0 && len(p) == 2 {
		to += ":" + strconv.Itoa(int(p[0])<<8|int(p[1]))
	}
	if to == "" {
		return e.Key
	}
	return e.Key + " to " + to
}
