package nft

import (
	"fmt"
	"os"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"

	"github.com/openports/openports/internal/firewall"
)

// Read dumps every table, chain, rule and set of the network namespace
// open at nsFD (-1: the caller's own) and converts them. The dumps are
// several (readExtra's and google/nftables' own): Read brackets them with
// the ruleset generation (consistent), so that a ruleset replaced between
// two dumps is read again, not joined from parts of two.
func Read(nsFD int) (*firewall.Ruleset, error) {
	gc, err := dialNetfilter(nsFD)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	defer gc.Close()
	return consistent(func() (uint32, error) { return generation(gc) },
		func() (*firewall.Ruleset, error) { return readOnce(gc, nsFD) }, readTries)
}

// readOnce is one read of the ruleset, without the generation check:
// google/nftables' dumps, and ours over nl, a netfilter socket in the
// namespace at nsFD.
func readOnce(nl *netlink.Conn, nsFD int) (rs *firewall.Ruleset, err error) {
	// google/nftables panics on some malformed attributes while decoding
	// (found by FuzzExprDecode); a kernel we cannot decode is an unread
	// ruleset, not a crash.
	defer func() {
		if p := recover(); p != nil {
			rs, err = nil, fmt.Errorf("nftables: decoding the kernel's answer failed: %v", p)
		}
	}()
	var opts []nftables.ConnOption
	if nsFD >= 0 {
		opts = append(opts, nftables.WithNetNSFd(nsFD))
	}
	conn, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	rs = &firewall.Ruleset{Backends: []string{Backend}, Chains: []firewall.Chain{}}
	x, err := readExtra(nl)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	raws, err := readRawExprs(nl)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	tables, err := conn.ListTables()
	if err != nil {
		return nil, fmt.Errorf("nftables: list tables: %w", err)
	}
	chains, err := conn.ListChains()
	if err != nil {
		return nil, fmt.Errorf("nftables: list chains: %w", err)
	}
	for _, c := range chains {
		fc := Chain(c)
		if c.Table != nil {
			k := objKey{family: byte(c.Table.Family), table: c.Table.Name, name: c.Name}
			fc.Devices = x.devices[k]
			fc.Dormant = fc.Hook != "" && x.dormant[objKey{family: k.family, table: k.table}]
		}
		rules, err := conn.GetRules(c.Table, c)
		if err != nil {
			// google/nftables fails on some expressions it cannot
			// decode (a ct key with a direction: its one-byte
			// NFTA_CT_DIRECTION read as four). The chain's rules are
			// then unknown, not the whole ruleset: a packet that
			// never meets the chain is still judged.
			fc.Undecoded = err.Error()
			fc.Rules = []firewall.Rule{{
				Text:  "(rules not decoded)",
				Exprs: []firewall.Expr{{Op: "unmodelled", Reason: "rules google/nftables could not decode: " + err.Error()}},
			}}
			rs.Chains = append(rs.Chains, fc)
			continue
		}
		for _, r := range rules {
			fc.Rules = append(fc.Rules, honest(Rule(r), r, raws))
		}
		rs.Chains = append(rs.Chains, fc)
	}
	for _, t := range tables {
		sets, err := conn.GetSets(t)
		if err != nil {
			return nil, fmt.Errorf("nftables: sets of %s %s: %w", Family(t.Family), t.Name, err)
		}
		for _, s := range sets {
			elems, err := conn.GetSetElements(s)
			if err != nil {
				return nil, fmt.Errorf("nftables: elements of %s %s @%s: %w", Family(t.Family), t.Name, s.Name, err)
			}
			k := objKey{family: byte(t.Family), table: t.Name, name: s.Name}
			fs, err := Set(s, elems, x.verdictData[k])
			fs.Fields = x.fields[k]
			if err != nil {
				return nil, fmt.Errorf("nftables: %w", err)
			}
			rs.Sets = append(rs.Sets, fs)
		}
	}
	return rs, nil
}

// ReadPath is Read for the namespace at a path (/proc/PID/ns/net,
// /run/netns/NAME).
func ReadPath(path string) (*firewall.Ruleset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	defer f.Close()
	return Read(int(f.Fd()))
}
