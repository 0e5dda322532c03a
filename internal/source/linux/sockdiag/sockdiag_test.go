package sockdiag

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

// msgSpec is the test-only encoder of one inet_diag_msg.
type msgSpec struct {
	family, state uint8
	sport, dport  uint16
	src, dst      netip.Addr // zero Addr encodes as all zeros
	ifindex       uint32
	cookie        uint64
	uid, inode    uint32
	attrs         []byte // already encoded attributes (see attr)
}

func (m msgSpec) encode(order binary.ByteOrder) []byte {
	b := make([]byte, MsgSize, MsgSize+len(m.attrs))
	b[0], b[1] = m.family, m.state
	binary.BigEndian.PutUint16(b[4:6], m.sport)
	binary.BigEndian.PutUint16(b[6:8], m.dport)
	putAddr(b[8:24], m.src)
	putAddr(b[24:40], m.dst)
	order.PutUint32(b[40:44], m.ifindex)
	order.PutUint32(b[44:48], uint32(m.cookie))
	order.PutUint32(b[48:52], uint32(m.cookie>>32))
	order.PutUint32(b[64:68], m.uid)
	order.PutUint32(b[68:72], m.inode)
	return append(b, m.attrs...)
}

func putAddr(b []byte, a netip.Addr) {
	if !a.IsValid() {
		return
	}
	s := a.AsSlice()
	copy(b, s)
}

// attr encodes one rtattr with its padding.
func attr(order binary.ByteOrder, typ uint16, val ...byte) []byte {
	n := 4 + len(val)
	b := make([]byte, (n+3)&^3)
	order.PutUint16(b[0:2], uint16(n))
	order.PutUint16(b[2:4], typ)
	copy(b[4:], val)
	return b
}

// nlmsg wraps a payload in a netlink header.
func nlmsg(order binary.ByteOrder, typ uint16, payload []byte) []byte {
	n := nlHeaderSize + len(payload)
	b := make([]byte, (n+3)&^3)
	order.PutUint32(b[0:4], uint32(n))
	order.PutUint16(b[4:6], typ)
	order.PutUint16(b[6:8], 2) // NLM_F_MULTI
	order.PutUint32(b[8:12], 1)
	copy(b[nlHeaderSize:], payload)
	return b
}

func u32(v uint32) *uint32 { return &v }

func TestDecode(t *testing.T) {
	ne := binary.NativeEndian
	v4 := netip.MustParseAddr
	tests := []struct {
		name  string
		msg   []byte
		proto snapshot.Proto
		want  snapshot.Socket
	}{
		{
			name:  "tcp4 listener",
			proto: snapshot.TCP,
			msg: msgSpec{family: AFInet, state: TCPListen, sport: 22, src: v4("192.0.2.7"),
				cookie: 0x1122334455667788, uid: 1000, inode: 4242}.encode(ne),
			want: snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("192.0.2.7:22"),
				State: snapshot.Listen, Cookie: 0x1122334455667788, UID: u32(1000), Inode: 4242},
		},
		{
			name:  "tcp6 v6only listener bound to a device",
			proto: snapshot.TCP,
			msg: msgSpec{family: AFInet6, state: TCPListen, sport: 443, src: v4("::"), ifindex: 3,
				uid: 0, inode: 7, attrs: attr(ne, attrSKV6Only, 1)}.encode(ne),
			want: snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("[::]:443"),
				State: snapshot.Listen, IfIndex: 3, UID: u32(0), Inode: 7, V6Only: snapshot.Bool(true)},
		},
		{
			name:  "dual-stack udp6 with protocol attribute naming udplite",
			proto: snapshot.UDP,
			msg: msgSpec{family: AFInet6, state: TCPClose, sport: 53, src: v4("2001:db8::1"), inode: 9,
				attrs: append(attr(ne, attrProtocol, protoUDPLite), attr(ne, attrSKV6Only, 0)...)}.encode(ne),
			want: snapshot.Socket{Proto: snapshot.UDPLite, Local: netip.MustParseAddrPort("[2001:db8::1]:53"),
				State: snapshot.Unconnected, UID: u32(0), Inode: 9, V6Only: snapshot.Bool(false)},
		},
		{
			name:  "v4-mapped address kept, v6only ignored on AF_INET",
			proto: snapshot.UDP,
			msg: msgSpec{family: AFInet6, state: TCPEstablished, sport: 5000, dport: 53,
				src: v4("::ffff:198.51.100.2"), dst: v4("::ffff:198.51.100.3"), inode: 11}.encode(ne),
			want: snapshot.Socket{Proto: snapshot.UDP, Local: netip.MustParseAddrPort("[::ffff:198.51.100.2]:5000"),
				Remote: netip.MustParseAddrPort("[::ffff:198.51.100.3]:53"),
				State:  snapshot.Established, UID: u32(0), Inode: 11},
		},
		{
			name:  "SKV6ONLY on an AF_INET socket is not reported",
			proto: snapshot.TCP,
			msg: msgSpec{family: AFInet, state: TCPListen, sport: 80, src: v4("0.0.0.0"), inode: 5,
				attrs: attr(ne, attrSKV6Only, 1)}.encode(ne),
			want: snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("0.0.0.0:80"),
				State: snapshot.Listen, UID: u32(0), Inode: 5},
		},
		{
			name:  "time-wait mini socket has no uid",
			proto: snapshot.TCP,
			msg: msgSpec{family: AFInet, state: TCPTimeWait, sport: 40000, dport: 80,
				src: v4("192.0.2.1"), dst: v4("192.0.2.2")}.encode(ne),
			want: snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("192.0.2.1:40000"),
				Remote: netip.MustParseAddrPort("192.0.2.2:80"), State: "TIME-WAIT"},
		},
		{
			name:  "raw socket keeps raw despite protocol attribute",
			proto: snapshot.Raw,
			msg: msgSpec{family: AFInet, state: TCPClose, sport: 1, src: v4("0.0.0.0"), inode: 3,
				attrs: attr(ne, attrProtocol, protoUDP)}.encode(ne),
			want: snapshot.Socket{Proto: snapshot.Raw, Local: netip.MustParseAddrPort("0.0.0.0:1"),
				State: snapshot.Unconnected, UID: u32(0), Inode: 3},
		},
		{
			name:  "unknown attributes and states",
			proto: snapshot.TCP,
			msg: msgSpec{family: AFInet, state: 99, sport: 1, src: v4("0.0.0.0"), inode: 3,
				attrs: append(attr(ne, 8, 0), attr(ne, 21, 1, 2, 3, 4, 5, 6, 7, 8)...)}.encode(ne),
			want: snapshot.Socket{Proto: snapshot.TCP, Local: netip.MustParseAddrPort("0.0.0.0:1"),
				State: "UNKNOWN-99", UID: u32(0), Inode: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.msg, tt.proto)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode:\n got %s\nwant %s", js(t, got), js(t, tt.want))
			}
			if got.Local.Addr().Is4() != (tt.msg[0] == AFInet) {
				t.Errorf("address %v: Is4 = %v for family %d", got.Local.Addr(), got.Local.Addr().Is4(), tt.msg[0])
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	ne := binary.NativeEndian
	good := msgSpec{family: AFInet6, state: TCPListen, inode: 1}.encode(ne)
	badLen := append([]byte(nil), good...)
	badLen = append(badLen, attr(ne, attrSKV6Only, 1)...)
	ne.PutUint16(badLen[MsgSize:], 200)
	tests := []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"one byte short", good[:MsgSize-1], ErrShort},
		{"family AF_UNIX", msgSpec{family: 1}.encode(ne), ErrFamily},
		{"attribute header cut", append(append([]byte(nil), good...), 8, 0), ErrAttr},
		{"attribute longer than message", badLen, ErrAttr},
		{"attribute length below header", append(append([]byte(nil), good...), 2, 0, 11, 0), ErrAttr},
		{"empty SKV6ONLY", append(append([]byte(nil), good...), attr(ne, attrSKV6Only)...), ErrAttr},
		{"empty PROTOCOL", append(append([]byte(nil), good...), attr(ne, attrProtocol)...), ErrAttr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.msg, snapshot.TCP)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRequestEncoding(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		req  Request
		want [8]byte // the fixed head; the 48-byte socket id must stay zero
	}{
		{Request{snapshot.TCP, AFInet, 1 << TCPListen}, [8]byte{2, 6, 0, 0, 0x00, 0x04, 0, 0}},
		{Request{snapshot.UDP, AFInet6, 1 << TCPClose}, [8]byte{10, 17, 0, 0, 0x80, 0, 0, 0}},
		{Request{snapshot.UDPLite, AFInet, AllStates}, [8]byte{2, 136, 0, 0, 0xff, 0xff, 0xff, 0xff}},
		{Request{snapshot.SCTP, AFInet6, 1 << TCPListen}, [8]byte{10, 132, 0, 0, 0x00, 0x04, 0, 0}},
		{Request{snapshot.Raw, AFInet, 1 << TCPClose}, [8]byte{2, 255, 0, 255, 0x80, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.req.String(), func(t *testing.T) {
			b, err := tt.req.appendBinary([]byte{0xee}, le)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != 1+ReqSize || b[0] != 0xee {
				t.Fatalf("appendBinary returned %d bytes (prefix %#x), want the prefix and %d bytes", len(b), b[0], ReqSize)
			}
			if [8]byte(b[1:9]) != tt.want {
				t.Errorf("head = % x, want % x", b[1:9], tt.want)
			}
			for i, c := range b[9:] {
				if c != 0 {
					t.Fatalf("socket id byte %d = %#x, want 0", i, c)
				}
			}
		})
	}
	if _, err := (Request{Proto: "icmp", Family: AFInet}).AppendBinary(nil); err == nil {
		t.Error("AppendBinary of protocol icmp: no error")
	}
	if _, err := (Request{Proto: snapshot.TCP, Family: 1}).AppendBinary(nil); err == nil {
		t.Error("AppendBinary of family 1: no error")
	}
}

func TestQueryRequests(t *testing.T) {
	tests := []struct {
		name    string
		q       Query
		want    []Request
		wantErr bool
	}{
		{name: "default", q: Query{}, want: []Request{
			{snapshot.TCP, AFInet, 1 << TCPListen}, {snapshot.TCP, AFInet6, 1 << TCPListen},
			{snapshot.UDP, AFInet, 1 << TCPClose}, {snapshot.UDP, AFInet6, 1 << TCPClose},
			{snapshot.UDPLite, AFInet, 1 << TCPClose}, {snapshot.UDPLite, AFInet6, 1 << TCPClose},
		}},
		{name: "all states keep sctp to listeners", q: Query{Protos: []snapshot.Proto{snapshot.TCP, snapshot.SCTP, snapshot.Raw}, Families: []int{AFInet6}, AllStates: true},
			want: []Request{{snapshot.TCP, AFInet6, AllStates}, {snapshot.SCTP, AFInet6, 1 << TCPListen}, {snapshot.Raw, AFInet6, AllStates}}},
		{name: "bad family", q: Query{Families: []int{AFInet, 17}}, wantErr: true},
		{name: "bad proto", q: Query{Protos: []snapshot.Proto{"ddp"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.q.Requests()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Requests error = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Requests = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestStateName(t *testing.T) {
	for st, want := range map[uint8]snapshot.State{
		0: "UNKNOWN-0", TCPEstablished: "ESTAB", TCPClose: "UNCONN", TCPListen: "LISTEN",
		TCPTimeWait: "TIME-WAIT", TCPNewSynRecv: "SYN-RECV", 200: "UNKNOWN-200",
	} {
		if got := StateName(st); got != want {
			t.Errorf("StateName(%d) = %q, want %q", st, got, want)
		}
	}
}

func TestDecodeStream(t *testing.T) {
	le := binary.LittleEndian
	one := msgSpec{family: AFInet, state: TCPListen, sport: 25, src: netip.MustParseAddr("0.0.0.0"), inode: 1}.encode(le)
	two := msgSpec{family: AFInet, state: TCPListen, sport: 26, src: netip.MustParseAddr("0.0.0.0"), inode: 2}.encode(le)
	errMsg := make([]byte, 20)
	le.PutUint32(errMsg, uint32(0xfffffffe)) // -ENOENT
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	tests := []struct {
		name      string
		stream    []byte
		wantPorts []uint16
		wantErr   bool
	}{
		{"two and done", cat(nlmsg(le, MsgSockDiagByFamily, one), nlmsg(le, MsgSockDiagByFamily, two), nlmsg(le, msgDone, []byte{0, 0, 0, 0})), []uint16{25, 26}, false},
		{"no done", cat(nlmsg(le, MsgSockDiagByFamily, one)), []uint16{25}, false},
		{"stops at done", cat(nlmsg(le, msgDone, nil), []byte{1, 2, 3}), nil, false},
		{"kernel error", cat(nlmsg(le, MsgSockDiagByFamily, one), nlmsg(le, msgError, errMsg)), []uint16{25}, true},
		{"truncated header", cat(nlmsg(le, MsgSockDiagByFamily, one), []byte{1, 2, 3}), []uint16{25}, true},
		{"length past end", nlmsg(le, MsgSockDiagByFamily, one)[:40], nil, true},
		{"unexpected type", nlmsg(le, 16, one), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeStream(nil, tt.stream, snapshot.TCP, le)
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeStream error = %v, want error %v", err, tt.wantErr)
			}
			var ports []uint16
			for _, s := range got {
				ports = append(ports, s.Local.Port())
			}
			if !reflect.DeepEqual(ports, tt.wantPorts) {
				t.Errorf("ports = %v, want %v", ports, tt.wantPorts)
			}
		})
	}
	var ke *KernelError
	_, err := decodeStream(nil, nlmsg(le, msgError, errMsg), snapshot.TCP, le)
	if !errors.As(err, &ke) || ke.Errno != 2 {
		t.Errorf("error reply: err = %v, want *KernelError with errno 2", err)
	}
}

func js(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func FuzzDecode(f *testing.F) {
	ne := binary.NativeEndian
	f.Add(msgSpec{family: AFInet6, state: TCPListen, sport: 22, inode: 1,
		attrs: append(attr(ne, attrSKV6Only, 1), attr(ne, attrProtocol, 6)...)}.encode(ne))
	f.Add(msgSpec{family: AFInet, state: TCPClose}.encode(ne))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b, snapshot.UDP)
		if err != nil {
			return
		}
		if len(b) < MsgSize {
			t.Fatalf("Decode accepted %d bytes", len(b))
		}
		if s.V6Only != nil && b[0] != AFInet6 {
			t.Fatalf("V6Only set for family %d", b[0])
		}
		if !s.Local.Addr().IsValid() {
			t.Fatalf("invalid local address from %x", b)
		}
	})
}

func FuzzDecodeStream(f *testing.F) {
	le := binary.LittleEndian
	f.Add(nlmsg(le, MsgSockDiagByFamily, msgSpec{family: AFInet, state: TCPListen, inode: 1}.encode(le)))
	f.Add(nlmsg(le, msgError, make([]byte, 20)))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeStream(nil, b, snapshot.TCP, le)
		if err == nil && len(got)*(nlHeaderSize+MsgSize) > len(b) {
			t.Fatalf("%d sockets from %d bytes", len(got), len(b))
		}
	})
}

// synthDump builds a dump of n sockets, half IPv6 listeners with
// INET_DIAG_SKV6ONLY, half UDP, split into datagrams as the kernel sends.
func synthDump(n int) []byte {
	ne := binary.NativeEndian
	var b []byte
	src6 := netip.MustParseAddr("2001:db8::5")
	for i := range n {
		m := msgSpec{family: AFInet, state: TCPClose, sport: uint16(i), src: netip.MustParseAddr("198.51.100.1"),
			uid: 1000, inode: uint32(100000 + i), cookie: uint64(i) << 20}
		if i%2 == 0 {
			m.family, m.state, m.src = AFInet6, TCPListen, src6
			m.attrs = attr(ne, attrSKV6Only, byte(i%4/2))
		}
		b = append(b, nlmsg(ne, MsgSockDiagByFamily, m.encode(ne))...)
	}
	return append(b, nlmsg(ne, msgDone, make([]byte, 4))...)
}

func TestSynthDump(t *testing.T) {
	got, err := DecodeStream(nil, synthDump(1000), snapshot.TCP)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 {
		t.Fatalf("%d sockets, want 1000", len(got))
	}
	for i, s := range got {
		if s.Inode != uint64(100000+i) || s.Local.Port() != uint16(i) || *s.UID != 1000 || s.Cookie != uint64(i)<<20 {
			t.Fatalf("socket %d = %s", i, js(t, s))
		}
		if (i%2 == 0) != (s.V6Only != nil) || (s.V6Only != nil && *s.V6Only != (i%4 == 2)) {
			t.Fatalf("socket %d: V6Only = %v", i, s.V6Only)
		}
	}
}

func BenchmarkDecodeStream10k(b *testing.B) {
	buf := synthDump(10000)
	dst := make([]snapshot.Socket, 0, 10000)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		dst, err = DecodeStream(dst[:0], buf, snapshot.TCP)
		if err != nil || len(dst) != 10000 {
			b.Fatalf("%d sockets, err %v", len(dst), err)
		}
	}
}
