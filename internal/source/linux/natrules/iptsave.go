package natrules

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParseSave reads the nat table from the output of iptables-save or
// ip6tables-save (family "ip" or "ip6") into a ruleset of backend b. Other
// tables in the input are skipped. An error names the line and what was
// expected there.
func ParseSave(data []byte, b Backend, family string) (*Ruleset, error) {
	rs := &Ruleset{Backend: b}
	var t *Table
	index := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "*"):
			t = nil
			if line[1:] == "nat" {
				rs.Tables = append(rs.Tables, Table{Family: family, Name: "nat"})
				t = &rs.Tables[len(rs.Tables)-1]
				index = map[string]int{}
			}
		case line == "COMMIT":
			t = nil
		case t == nil:
		case strings.HasPrefix(line, ":"):
			f := strings.Fields(line[1:])
			if len(f) == 0 {
				return nil, fmt.Errorf("line %d: chain declaration without a name", n)
			}
			chain(t, index, f[0])
		case strings.HasPrefix(line, "-A ") || strings.HasPrefix(line, "-I "):
			args, err := splitArgs(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			if len(args) < 2 {
				return nil, fmt.Errorf("line %d: %s without a chain", n, args[0])
			}
			r, err := parseRule(args[2:], family)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			c := chain(t, index, args[1])
			c.Rules = append(c.Rules, r)
		default:
			return nil, fmt.Errorf("line %d: expected a table (*nat), chain (:NAME), rule (-A) or COMMIT, got %q", n, trunc(line))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read iptables-save output: %w", err)
	}
	return rs, nil
}

// builtinHooks are the base chains of the iptables nat table.
var builtinHooks = map[string]string{"PREROUTING": "prerouting", "INPUT": "input", "OUTPUT": "output", "POSTROUTING": "postrouting"}

func chain(t *Table, index map[string]int, name string) *Chain {
	if i, ok := index[name]; ok {
		return &t.Chains[i]
	}
	index[name] = len(t.Chains)
	t.Chains = append(t.Chains, Chain{Name: name, Hook: builtinHooks[name]})
	return &t.Chains[len(t.Chains)-1]
}

// parseRule reads the options of one -A line after the chain name.
func parseRule(args []string, family string) (Rule, error) {
	var r Rule
	neg := false
	module := ""
	next := func(i *int, opt string) (string, error) {
		*i++
		if *i >= len(args) {
			return "", fmt.Errorf("%s needs a value", opt)
		}
		return args[*i], nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "!" {
			neg = true
			continue
		}
		var v string
		var err error
		switch a {
		case "-p", "--protocol":
			if v, err = next(&i, a); err != nil {
				return r, err
			}
			if neg {
				r.Unknown = append(r.Unknown, "! -p "+v)
			} else if v != "all" && v != "0" {
				r.Proto = strings.ToLower(v)
			}
		case "-d", "--destination":
			if v, err = next(&i, a); err != nil {
				return r, err
			}
			p, err := parsePrefix(v)
			if err != nil {
				return r, fmt.Errorf("%s %q: %w", a, v, err)
			}
			r.Dst, r.DstNot = p, neg
		case "-s", "--source":
			if v, err = next(&i, a); err != nil {
				return r, err
			}
			p, err := parsePrefix(v)
			if err != nil {
				return r, fmt.Errorf("%s %q: %w", a, v, err)
			}
			r.Unknown = append(r.Unknown, sourceText(neg, p))
		case "-i", "--in-interface":
			if v, err = next(&i, a); err != nil {
				return r, err
			}
			r.InIface, r.InIfaceNot = v, neg
		case "-o", "--out-interface":
			if v, err = next(&i, a); err != nil {
				return r, err
			}
			r.Unknown = append(r.Unknown, negText(neg)+"-o "+v)
		case "-m", "--match":
			if module, err = next(&i, a); err != nil {
				return r, err
			}
			switch module {
			case "tcp", "udp", "sctp", "comment", "addrtype", "statistic":
				// Decoded below, or (statistic: kube-proxy's load
				// balancing) not narrowing who can reach the target.
			default:
				r.Unknown = append(r.Unknown, "-m "+module)
			}
		case "--dport", "--destination-port":
			if v, err = next(&i, a); err != nil {
				return r, err
			}
			pr, err := parsePorts(v, ":")
			if err != nil {
				return r, fmt.Errorf("%s %q: %w", a, v, err)
			}
			if neg {
				r.Unknown = append(r.Unknown, "! --dport "+v)
			} else {
				r.Ports = pr
			}
		case "--comment":
			if r.Comment, err = next(&i, a); err != nil {
				return r, err
			}
		case "--dst-type":
			if v, err = next(&i, a); err != nil {
				return r, err
			}
			if v == "LOCAL" && !neg {
				r.DstLocal = true
			} else {
				r.Unknown = append(r.Unknown, negText(neg)+"--dst-type "+v)
			}
		case "--src-type":
			if _, err = next(&i, a); err != nil {
				return r, err
			}
			r.Unknown = append(r.Unknown, negText(neg)+"--src-type")
		case "-j", "--jump", "-g", "--goto":
			if v, err = next(&i, a); err != nil {
				return r, err
			}
			r.Verdict, r.Target = targetVerdict(v, a == "-g" || a == "--goto")
		case "--to-destination":
			if v, err = next(&i, a); err != nil {
				return r, err
			}
			if r.To, r.ToPorts, err = parseNATTarget(v, family); err != nil {
				return r, fmt.Errorf("%s %q: %w", a, v, err)
			}
		case "--to-ports":
			if v, err = next(&i, a); err != nil {
				return r, err
			}
			if r.ToPorts, err = parsePorts(v, "-"); err != nil {
				return r, fmt.Errorf("%s %q: %w", a, v, err)
			}
		default:
			// Options of matches and targets that do not change what
			// is published (--mode, --probability, --limit-iface-in,
			// --random, ...): skipped with their value, if any.
			if strings.HasPrefix(a, "-") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && args[i+1] != "!" {
				i++
			}
			if module != "" && module != "statistic" && module != "comment" && module != "addrtype" && strings.HasPrefix(a, "--") &&
				a != "--sport" && a != "--source-port" {
				// A condition of a decoded module we do not read.
				if module == "tcp" || module == "udp" || module == "sctp" {
					r.Unknown = append(r.Unknown, a)
				}
			}
			if a == "--sport" || a == "--source-port" {
				r.Unknown = append(r.Unknown, a+" "+args[i])
			}
		}
		neg = false
	}
	if r.Verdict == "" && (r.To.IsValid() || !r.ToPorts.Any()) {
		return r, fmt.Errorf("NAT target options without -j")
	}
	return r, nil
}

// sourceText names a source-address condition the same way for both
// backends: it narrows who reaches a mapping.
func sourceText(neg bool, p netip.Prefix) string {
	return negText(neg) + "source " + p.String()
}

func negText(neg bool) string {
	if neg {
		return "! "
	}
	return ""
}

func targetVerdict(target string, isGoto bool) (verdict, chain string) {
	switch target {
	case "DNAT":
		return VerdictDNAT, ""
	case "REDIRECT":
		return VerdictRedir, ""
	case "RETURN":
		return VerdictReturn, ""
	case "ACCEPT":
		return VerdictAccept, ""
	case "MASQUERADE", "SNAT", "DROP", "REJECT", "MARK", "LOG", "CONNMARK", "NETMAP":
		return VerdictOther, ""
	}
	if isGoto {
		return VerdictGoto, target
	}
	return VerdictJump, target
}

// parsePrefix reads an address with an optional /bits or /mask.
func parsePrefix(s string) (netip.Prefix, error) {
	addr, bits, ok := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{}, err
	}
	if !ok {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	if n, err := strconv.Atoi(bits); err == nil {
		return a.Prefix(n)
	}
	m, err := netip.ParseAddr(bits) // a dotted mask, as old iptables print
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("mask %q: %w", bits, err)
	}
	n := 0
	for _, b := range m.AsSlice() {
		for ; b&0x80 != 0; b <<= 1 {
			n++
		}
	}
	return a.Prefix(n)
}

// parsePorts reads "80" or "8000<sep>8010".
func parsePorts(s, sep string) (PortRange, error) {
	lo, hi, ok := strings.Cut(s, sep)
	a, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return PortRange{}, fmt.Errorf("port %q: %w", lo, err)
	}
	b := a
	if ok {
		if b, err = strconv.ParseUint(hi, 10, 16); err != nil {
			return PortRange{}, fmt.Errorf("port %q: %w", hi, err)
		}
	}
	if b < a {
		return PortRange{}, fmt.Errorf("port range %s ends before it starts", s)
	}
	return PortRange{uint16(a), uint16(b)}, nil
}

// parseNATTarget reads --to-destination: "10.0.0.2", "10.0.0.2:80",
// "10.0.0.2:80-90", "[fd00::2]:80", "fd00::2", or ":80" (port only).
func parseNATTarget(s, family string) (netip.Addr, PortRange, error) {
	host, port := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return netip.Addr{}, PortRange{}, fmt.Errorf("missing ]")
		}
		host, port = s[1:end], strings.TrimPrefix(s[end+1:], ":")
	case family != "ip6" || strings.Count(s, ":") == 1:
		if h, p, ok := strings.Cut(s, ":"); ok {
			host, port = h, p
		}
	}
	if h, _, ok := strings.Cut(host, "-"); ok {
		host = h // an address range: its first address
	}
	var a netip.Addr
	if host != "" {
		var err error
		if a, err = netip.ParseAddr(host); err != nil {
			return netip.Addr{}, PortRange{}, err
		}
	}
	var pr PortRange
	if port != "" {
		var err error
		if pr, err = parsePorts(port, "-"); err != nil {
			return netip.Addr{}, PortRange{}, err
		}
	}
	return a, pr, nil
}

// splitArgs splits a rule line as iptables-save quotes it: words, and
// double-quoted strings with backslash escapes.
func splitArgs(line string) ([]string, error) {
	var out []string
	var b strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\\' && i+1 < len(line):
			i++
			b.WriteByte(line[i])
		case c == '"':
			quoted = !quoted
			inWord = true
		case !quoted && (c == ' ' || c == '\t'):
			if inWord {
				out = append(out, b.String())
				b.Reset()
				inWord = false
			}
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote in %q", trunc(line))
	}
	if inWord {
		out = append(out, b.String())
	}
	return out, nil
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
