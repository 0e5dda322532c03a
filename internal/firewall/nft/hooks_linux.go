package nft

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Attributes google/nftables does not decode (linux/netfilter/nf_tables.h).
const (
	nftaHookDevs      = 4 // NFTA_HOOK_DEVS: nested NFTA_DEVICE_NAME
	nftaDeviceName    = 1 // NFTA_DEVICE_NAME
	nftaSetDescConcat = 2 // NFTA_SET_DESC_CONCAT: nested NFTA_LIST_ELEM
	nftaSetFieldLen   = 1 // NFTA_SET_FIELD_LEN
	nfInetIngress     = 5 // NF_INET_INGRESS: an inet table's ingress hook
)

// objKey names a chain or set: family, table, name.
type objKey struct {
	family byte
	table  string
	name   string
}

// extra is what the kernel reports of chains and sets that google/nftables
// drops or misreads: tables that are dormant, the devices of ingress chains (a netdev chain on lo is no filter
// of eth0) and the field lengths of concatenated set keys (a range of
// "ip saddr . tcp dport" bounds each field, not the bytes as a whole),
// and whether a map's data are verdicts.
type extra struct {
	// dormant tables (name only in the key): google/nftables reads
	// their flags in the wrong byte order.
	dormant     map[objKey]bool
	devices     map[objKey][]string
	fields      map[objKey][]uint32
	verdictData map[objKey]bool
}

// readExtra dumps the tables, chains and sets of conn's namespace for the
// attributes of extra.
func readExtra(conn *netlink.Conn) (*extra, error) {
	x := &extra{dormant: map[objKey]bool{}, devices: map[objKey][]string{}, fields: map[objKey][]uint32{}, verdictData: map[objKey]bool{}}
	for _, d := range []struct {
		msgType uint16
		what    string
		read    func(netlink.Message) error
	}{
		{unix.NFT_MSG_GETTABLE, "table", x.table},
		{unix.NFT_MSG_GETCHAIN, "chain", x.chain},
		{unix.NFT_MSG_GETSET, "set", x.set},
	} {
		if err := dumpEach(conn, d.msgType, d.what, d.read); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// dumpEach dumps the objects of msgType over conn and hands each message
// to read; what names them in errors.
func dumpEach(conn *netlink.Conn, msgType uint16, what string, read func(netlink.Message) error) error {
	msgs, err := dump(conn, msgType)
	if err != nil {
		return fmt.Errorf("dump %ss: %w", what, err)
	}
	for _, m := range msgs {
		if err := read(m); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

func dump(conn *netlink.Conn, msgType uint16) ([]netlink.Message, error) {
	req := netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | msgType),
			Flags: netlink.Request | netlink.Dump,
		},
		// nfgenmsg: every family, NFNETLINK_V0, resource 0.
		Data: []byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, 0, 0},
	}
	msgs, err := conn.Execute(req)
	if err != nil {
		return nil, err
	}
	// The kernel flags a dump during which the ruleset changed; its
	// messages may mix two rulesets.
	for _, m := range msgs {
		if m.Header.Flags&netlink.DumpInterrupted != 0 {
			return nil, errDumpInterrupted
		}
	}
	return msgs, nil
}

// dialNetfilter opens a netfilter netlink socket in the namespace open at
// nsFD (-1: our own).
func dialNetfilter(nsFD int) (*netlink.Conn, error) {
	cfg := &netlink.Config{}
	if nsFD >= 0 {
		cfg.NetNS = nsFD
	}
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, cfg)
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	return conn, nil
}

// generation asks for the ruleset generation (NFT_MSG_GETGEN): the kernel
// increments it with every committed transaction.
func generation(conn *netlink.Conn) (uint32, error) {
	req := netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETGEN),
			Flags: netlink.Request,
		},
		Data: []byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, 0, 0},
	}
	msgs, err := conn.Execute(req)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		ad, err := decoder(m.Data[4:])
		if err != nil {
			return 0, err
		}
		for ad.Next() {
			if ad.Type() == unix.NFTA_GEN_ID {
				id := ad.Uint32()
				if err := ad.Err(); err != nil {
					return 0, err
				}
				return id, nil
			}
		}
		if err := ad.Err(); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("no NFTA_GEN_ID in the kernel's answer")
}

// objDecoder reads an object message: the family of its nfgenmsg header,
// and a decoder of the attributes after it.
func objDecoder(m netlink.Message) (byte, *netlink.AttributeDecoder, error) {
	if len(m.Data) < 4 {
		return 0, nil, fmt.Errorf("message of %d bytes", len(m.Data))
	}
	ad, err := decoder(m.Data[4:])
	return m.Data[0], ad, err
}

func decoder(b []byte) (*netlink.AttributeDecoder, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return nil, err
	}
	ad.ByteOrder = binary.BigEndian
	return ad, nil
}

func (x *extra) table(m netlink.Message) error {
	family, ad, err := objDecoder(m)
	if err != nil {
		return err
	}
	k := objKey{family: family}
	var flags uint32
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_TABLE_NAME:
			k.table = ad.String()
		case unix.NFTA_TABLE_FLAGS:
			flags = ad.Uint32()
		}
	}
	if err := ad.Err(); err != nil {
		return err
	}
	if flags&unix.NFT_TABLE_F_DORMANT != 0 {
		x.dormant[k] = true
	}
	return nil
}

func (x *extra) chain(m netlink.Message) error {
	family, ad, err := objDecoder(m)
	if err != nil {
		return err
	}
	k := objKey{family: family}
	var devs []string
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_CHAIN_TABLE:
			k.table = ad.String()
		case unix.NFTA_CHAIN_NAME:
			k.name = ad.String()
		case unix.NFTA_CHAIN_HOOK:
			ad.Nested(func(hd *netlink.AttributeDecoder) error {
				var one string
				var list []string
				for hd.Next() {
					switch hd.Type() {
					case unix.NFTA_HOOK_DEV:
						one = deviceName(hd.Bytes())
					case nftaHookDevs:
						hd.Nested(func(dd *netlink.AttributeDecoder) error {
							for dd.Next() {
								if dd.Type() == nftaDeviceName {
									list = append(list, deviceName(dd.Bytes()))
								}
							}
							return nil
						})
					}
				}
				devs = list
				if len(devs) == 0 && one != "" {
					devs = []string{one}
				}
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return err
	}
	if len(devs) > 0 {
		x.devices[k] = devs
	}
	return nil
}

func (x *extra) set(m netlink.Message) error {
	family, ad, err := objDecoder(m)
	if err != nil {
		return err
	}
	k := objKey{family: family}
	var fields []uint32
	verdict := false
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_SET_TABLE:
			k.table = ad.String()
		case unix.NFTA_SET_NAME:
			k.name = ad.String()
		case unix.NFTA_SET_DATA_TYPE:
			verdict = ad.Uint32() == unix.NFT_DATA_VERDICT
		case unix.NFTA_SET_DESC:
			ad.Nested(func(dd *netlink.AttributeDecoder) error {
				for dd.Next() {
					if dd.Type() != nftaSetDescConcat {
						continue
					}
					dd.Nested(func(ld *netlink.AttributeDecoder) error {
						for ld.Next() {
							if ld.Type() != unix.NFTA_LIST_ELEM {
								continue
							}
							ld.Nested(func(fd *netlink.AttributeDecoder) error {
								for fd.Next() {
									if fd.Type() == nftaSetFieldLen {
										fields = append(fields, fd.Uint32())
									}
								}
								return nil
							})
						}
						return nil
					})
				}
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return err
	}
	if len(fields) > 1 {
		x.fields[k] = fields
	}
	x.verdictData[k] = verdict
	return nil
}

// deviceName reads a hook's device name: NUL-terminated, or without the
// NUL when the kernel holds it as a prefix of names (a wildcard, which nft
// writes "eth*"), written here with its '*'.
func deviceName(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b) + "*"
}
