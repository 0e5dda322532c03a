package main

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

// msg builds one netlink message of type typ and sequence seq around body.
func msg(typ uint16, seq uint32, body []byte) []byte {
	n := nlmsgHdrLen + len(body)
	b := make([]byte, (n+3)&^3)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(n))
	ne.PutUint16(b[4:], typ)
	ne.PutUint32(b[8:], seq)
	copy(b[nlmsgHdrLen:], body)
	return b
}

// diagMsg builds an inet_diag_msg for a local address and inode.
func diagMsg(local netip.AddrPort, inode uint32) []byte {
	m := make([]byte, inetDiagMsgLen)
	if local.Addr().Is4() {
		m[0] = 2
		a := local.Addr().As4()
		copy(m[8:], a[:])
	} else {
		m[0] = 10
		a := local.Addr().As16()
		copy(m[8:], a[:])
	}
	binary.BigEndian.PutUint16(m[4:], local.Port())
	binary.NativeEndian.PutUint32(m[68:], inode)
	return m
}

func errMsg(seq uint32, code int32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, uint32(code))
	return msg(nlmsgError, seq, b)
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestDecode(t *testing.T) {
	v4 := netip.MustParseAddrPort("192.0.2.1:22")
	v6 := netip.MustParseAddrPort("[2001:db8::1]:443")
	tests := []struct {
		name    string
		in      []byte
		want    []Socket
		wantErr string // "" none, "done" errDone, else any error
	}{
		{"two sockets", cat(msg(sockDiagByFamily, 7, diagMsg(v4, 11)), msg(sockDiagByFamily, 7, diagMsg(v6, 12))),
			[]Socket{{"tcp", v4, 11}, {"tcp", v6, 12}}, ""},
		{"socket then done", cat(msg(sockDiagByFamily, 7, diagMsg(v4, 11)), msg(nlmsgDone, 7, make([]byte, 4))),
			[]Socket{{"tcp", v4, 11}}, "done"},
		{"ack error 0 is fine", errMsg(7, 0), nil, ""},
		{"kernel error", errMsg(7, -13), nil, "error"},
		{"short error", msg(nlmsgError, 7, []byte{1}), nil, "error"},
		{"wrong sequence", msg(sockDiagByFamily, 8, diagMsg(v4, 11)), nil, "error"},
		{"short diag message", msg(sockDiagByFamily, 7, diagMsg(v4, 11)[:40]), nil, "error"},
		{"bad family", msg(sockDiagByFamily, 7, func() []byte { m := diagMsg(v4, 1); m[0] = 99; return m }()), nil, "error"},
		{"truncated header", []byte{1, 2, 3}, nil, "error"},
		{"length past buffer", func() []byte { b := msg(nlmsgDone, 7, nil); binary.NativeEndian.PutUint32(b, 200); return b }(), nil, "error"},
		{"unknown type", msg(99, 7, nil), nil, "error"},
		{"noop skipped", cat(msg(nlmsgNoop, 7, nil), msg(sockDiagByFamily, 7, diagMsg(v6, 5))), []Socket{{"tcp", v6, 5}}, ""},
		{"empty", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Socket
			err := decode(tt.in, 7, "tcp", func(s Socket) { got = append(got, s) })
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("decode: %v", err)
			case tt.wantErr == "done" && !errors.Is(err, errDone):
				t.Fatalf("decode: %v, want errDone", err)
			case tt.wantErr == "error" && (err == nil || errors.Is(err, errDone)):
				t.Fatalf("decode: %v, want an error", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("socket %d: got %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestRequest(t *testing.T) {
	b := request(10, 17, listeningStateSet, 3)
	ne := binary.NativeEndian
	checks := []struct {
		what      string
		got, want uint64
	}{
		{"length", uint64(ne.Uint32(b[0:])), uint64(len(b))},
		{"length value", uint64(len(b)), nlmsgHdrLen + inetDiagReqV2Len},
		{"type", uint64(ne.Uint16(b[4:])), sockDiagByFamily},
		{"flags", uint64(ne.Uint16(b[6:])), nlmFRequest | nlmFDump},
		{"seq", uint64(ne.Uint32(b[8:])), 3},
		{"family", uint64(b[16]), 10},
		{"protocol", uint64(b[17]), 17},
		{"states", uint64(ne.Uint32(b[20:])), 1<<10 | 1<<7},
		{"cookie lo", uint64(ne.Uint32(b[16+48:])), 0xffffffff},
		{"cookie hi", uint64(ne.Uint32(b[16+52:])), 0xffffffff},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %#x, want %#x", c.what, c.got, c.want)
		}
	}
}

func TestSocketInode(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"socket:[12345]", 12345, true},
		{"socket:[0]", 0, true},
		{"socket:[4294967295]", 4294967295, true},
		{"socket:[4294967296]", 0, false},
		{"socket:[]", 0, false},
		{"socket:[12a]", 0, false},
		{"socket:[12", 0, false},
		{"pipe:[12]", 0, false},
		{"/dev/null", 0, false},
		{"anon_inode:[eventpoll]", 0, false},
		{"socket:[99999999999]", 0, false},
	}
	for _, tt := range tests {
		got, ok := socketInode([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("socketInode(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAtoiPID(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1", 1, true}, {"4194304", 4194304, true}, {"self", 0, false},
		{"", 0, false}, {"12x", 0, false}, {"1234567890", 0, false},
	}
	for _, tt := range tests {
		got, ok := atoiPID([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("atoiPID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// dirent builds one linux_dirent64 record for name, padded to 8 bytes.
func dirent(name string) []byte {
	n := (19 + len(name) + 1 + 7) &^ 7
	b := make([]byte, n)
	binary.NativeEndian.PutUint16(b[16:], uint16(n))
	copy(b[19:], name)
	return b
}

func TestDirents(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    []string
		wantErr bool
	}{
		{"names without dots", cat(dirent("."), dirent(".."), dirent("1"), dirent("self"), dirent("42")), []string{"1", "self", "42"}, false},
		{"long name", dirent("a-name-longer-than-one-record-pad"), []string{"a-name-longer-than-one-record-pad"}, false},
		{"trailing bytes", cat(dirent("1"), []byte{1, 2, 3}), []string{"1"}, true},
		{"record too long", func() []byte { b := dirent("1"); binary.NativeEndian.PutUint16(b[16:], 200); return b }(), nil, true},
		{"record too short", func() []byte { b := dirent("1"); binary.NativeEndian.PutUint16(b[16:], 3); return b }(), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := dirents(tt.in, func(n []byte) { got = append(got, string(n)) })
			if (err != nil) != tt.wantErr {
				t.Fatalf("dirents: err %v, wantErr %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("entry %d: %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(cat(msg(sockDiagByFamily, 1, diagMsg(netip.MustParseAddrPort("192.0.2.1:22"), 3)), msg(nlmsgDone, 1, nil)))
	f.Add(errMsg(1, -1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		_ = decode(b, 1, "tcp", func(Socket) { n++ })
		if n > len(b)/(nlmsgHdrLen+inetDiagMsgLen) {
			t.Fatalf("%d sockets from %d bytes", n, len(b))
		}
	})
}

func FuzzDirents(f *testing.F) {
	f.Add(cat(dirent("1"), dirent("fd")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		total := 0
		_ = dirents(b, func(name []byte) { total += len(name) })
		if total > len(b) {
			t.Fatalf("names of %d bytes from %d bytes", total, len(b))
		}
	})
}

func FuzzSocketInode(f *testing.F) {
	f.Add([]byte("socket:[123]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if ino, ok := socketInode(b); ok {
			if got := "socket:[" + itoa(ino) + "]"; got != string(b) && b[8] != '0' {
				t.Fatalf("socketInode(%q) = %d, which spells %q", b, ino, got)
			}
		}
	})
}

func itoa(v uint32) string {
	if v == 0 {
		return "0"
	}
	var d []byte
	for ; v > 0; v /= 10 {
		d = append([]byte{byte('0' + v%10)}, d...)
	}
	return string(d)
}
