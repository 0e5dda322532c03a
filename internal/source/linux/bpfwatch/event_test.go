package bpfwatch

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

func TestEventRoundTrip(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, e := range []Event{
			{Kind: Bind, Cookie: 1 << 40, MonoNS: 123456789, Inode: 4242, PID: 100, TID: 101, UID: 1000, SockUID: 1000,
				NetNS: 4026531833, Protocol: ProtoUDP, Local: netip.MustParseAddrPort("192.0.2.1:45678"), Comm: "dig"},
			{Kind: Listen, Cookie: 7, Protocol: ProtoTCP, Local: netip.MustParseAddrPort("[2001:db8::1]:22"), IfIndex: 3,
				Comm: "a-very-long-comm", OldState: 7},
			{Kind: Close, Protocol: ProtoUDPLite, Local: netip.MustParseAddrPort("[::]:0")},
		} {
			b := AppendEvent(nil, order.(binary.AppendByteOrder), e)
			if len(b) != EventSize {
				t.Fatalf("AppendEvent wrote %d bytes, want %d", len(b), EventSize)
			}
			got, err := ParseEvent(b, order)
			if err != nil {
				t.Fatal(err)
			}
			want := e
			if len(want.Comm) > 15 {
				want.Comm = want.Comm[:15] // the kernel's comm holds 15 bytes and a NUL
			}
			if got != want {
				t.Errorf("%v: got %+v, want %+v", order, got, want)
			}
		}
	}
}

func TestParseEventErrors(t *testing.T) {
	good := AppendEvent(nil, binary.LittleEndian, Event{Kind: Bind, Local: netip.MustParseAddrPort("192.0.2.1:1")})
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"short", good[:EventSize-1], ErrShort},
		{"version", func() []byte { b := append([]byte{}, good...); b[44] = 9; return b }(), ErrVersion},
		{"family", func() []byte { b := append([]byte{}, good...); b[47] = 1; return b }(), ErrFamily},
	} {
		if _, err := ParseEvent(tc.b, binary.LittleEndian); !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

// A comm field of 16 bytes without a NUL (a corrupt record: the kernel
// writes at most 15 bytes and a NUL) decodes to the 15 bytes the kernel
// can have written, so that decoding and encoding agree.
func TestParseEventCommWithoutNUL(t *testing.T) {
	b := AppendEvent(nil, binary.LittleEndian, Event{Kind: Bind, Local: netip.MustParseAddrPort("192.0.2.1:1")})
	copy(b[72:88], "0123456789abcdef")
	e, err := ParseEvent(b, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if e.Comm != "0123456789abcde" {
		t.Errorf("comm %q, want the first 15 bytes", e.Comm)
	}
	again, err := ParseEvent(AppendEvent(nil, binary.LittleEndian, e), binary.LittleEndian)
	if err != nil || again != e {
		t.Errorf("re-decode: %+v, %v; want %+v", again, err, e)
	}
}

func FuzzParseEvent(f *testing.F) {
	f.Add(AppendEvent(nil, binary.LittleEndian, Event{Kind: Bind, Local: netip.MustParseAddrPort("192.0.2.1:1")}))
	f.Add(AppendEvent(nil, binary.LittleEndian, Event{Kind: Close, Local: netip.MustParseAddrPort("[::1]:1")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEvent(b, binary.LittleEndian)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes, except the
		// address bytes past an IPv4 address, the comm after its NUL and
		// the padding, which the decoder ignores.
		again, err := ParseEvent(AppendEvent(nil, binary.LittleEndian, e), binary.LittleEndian)
		if err != nil || again != e {
			t.Fatalf("re-decode: %+v, %v; want %+v", again, err, e)
		}
	})
}
