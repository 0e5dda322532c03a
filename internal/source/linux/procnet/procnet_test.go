package procnet

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/source/linux/sockdiag"
)

const tcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
const udpHeader = "   sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"

func u32(v uint32) *uint32 { return &v }

func TestParse(t *testing.T) {
	ap := func(s string) netip.AddrPort { return mustAP(s) }
	tests := []struct {
		name   string
		in     string
		proto  snapshot.Proto
		family int
		order  binary.ByteOrder
		filter func(uint8) bool
		want   []snapshot.Socket
	}{
		{
			name: "tcp4 listen and established, little-endian", proto: snapshot.TCP, family: AFInet, order: binary.LittleEndian,
			in: tcpHeader +
				"   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n" +
				"   1: 0100007F:A886 0100007F:1F91 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1\n",
			want: []snapshot.Socket{
				{Proto: snapshot.TCP, Local: ap("127.0.0.1:8081"), State: snapshot.Listen, UID: u32(1000), Inode: 4242},
				{Proto: snapshot.TCP, Local: ap("127.0.0.1:43142"), Remote: ap("127.0.0.1:8081"), State: snapshot.Established, UID: u32(0), Inode: 4343},
			},
		},
		{
			name: "state filter rejects before decoding addresses", proto: snapshot.TCP, family: AFInet, order: binary.LittleEndian,
			filter: StateMask(1 << sockdiag.TCPListen),
			in: tcpHeader +
				"   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n" +
				"   1: not-an-address not-an-address 01 00000000:00000000 00:00000000 00000000     0        0 4343 1\n",
			want: []snapshot.Socket{{Proto: snapshot.TCP, Local: ap("127.0.0.1:8081"), State: snapshot.Listen, UID: u32(1000), Inode: 4242}},
		},
		{
			name: "udp6 little-endian words", proto: snapshot.UDP, family: AFInet6, order: binary.LittleEndian,
			in: udpHeader +
				"  100: B80D0120000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 77 2 0000000000000000 0\n" +
				"  101: 0000000000000000FFFF00000100007F:1770 0000000000000000FFFF00000100007F:14E9 01 00000000:00000000 00:00000000 00000000   0        0 78 2 0000000000000000 0\n",
			want: []snapshot.Socket{
				{Proto: snapshot.UDP, Local: ap("[2001:db8::1]:53"), State: snapshot.Unconnected, UID: u32(101), Inode: 77},
				{Proto: snapshot.UDP, Local: ap("[::ffff:127.0.0.1]:6000"), Remote: ap("[::ffff:127.0.0.1]:5353"), State: snapshot.Established, UID: u32(0), Inode: 78},
			},
		},
		{
			name: "udp6 big-endian words", proto: snapshot.UDP, family: AFInet6, order: binary.BigEndian,
			in: udpHeader +
				"  100: 20010DB8000000000000000000000001:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 77 2 0000000000000000 0\n",
			want: []snapshot.Socket{{Proto: snapshot.UDP, Local: ap("[2001:db8::1]:53"), State: snapshot.Unconnected, UID: u32(101), Inode: 77}},
		},
		{
			name: "time-wait row without inode has no uid; no final newline", proto: snapshot.TCP, family: AFInet, order: binary.LittleEndian,
			in: tcpHeader +
				"   0: 010011AC:0016 020011AC:D431 06 00000000:00000000 03:00000F4C 00000000     0        0 0 3 0000000000000000",
			want: []snapshot.Socket{{Proto: snapshot.TCP, Local: ap("172.17.0.1:22"), Remote: ap("172.17.0.2:54321"), State: "TIME-WAIT"}},
		},
		{
			name: "raw: the port is the protocol", proto: snapshot.Raw, family: AFInet, order: binary.LittleEndian,
			in:   udpHeader + "  1: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2 0000000000000000 0\n",
			want: []snapshot.Socket{{Proto: snapshot.Raw, Local: ap("0.0.0.0:1"), State: snapshot.Unconnected, UID: u32(0), Inode: 99}},
		},
		{name: "header only", proto: snapshot.TCP, family: AFInet, order: binary.LittleEndian, in: tcpHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(strings.NewReader(tt.in), tt.proto, tt.family, tt.filter, tt.order)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parse:\n got %s\nwant %s", js(t, got), js(t, tt.want))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	row := func(s string) string { return tcpHeader + s + "\n" }
	tests := []struct {
		name, in, want string
		family         int
	}{
		{"empty input", "", "line 1: expected the header", AFInet},
		{"wrong header", "Inter-|   Receive\n", "line 1: expected the header", AFInet},
		{"too few columns", row("   0: 0100007F:1F91 00000000:0000 0A"), "line 2: expected at least 10 columns", AFInet},
		{"slot", row("   0 0100007F:1F91 00000000:0000 0A 0:0 0:0 0 0 0 1"), "line 2: expected a slot number", AFInet},
		{"state", row("   0: 0100007F:1F91 00000000:0000 XA 0:0 0:0 0 0 0 1"), "line 2: st: expected 2 hex digits", AFInet},
		{"v6 address in v4 table", row("   0: 00000000000000000000000001000000:1F91 00000000:0000 0A 0:0 0:0 0 0 0 1"), "line 2: local_address: expected 8 hex digits", AFInet},
		{"v4 address in v6 table", row("   0: 0100007F:1F91 00000000:0000 0A 0:0 0:0 0 0 0 1"), "line 2: local_address: expected 32 hex digits", AFInet6},
		{"bad hex", row("   0: 0100007G:1F91 00000000:0000 0A 0:0 0:0 0 0 0 1"), "line 2: local_address: expected hex digits", AFInet},
		{"bad port", row("   0: 0100007F:1F9Z 00000000:0000 0A 0:0 0:0 0 0 0 1"), "line 2: local_address: expected 4 hex digits of port", AFInet},
		{"remote", row("   0: 0100007F:1F91 00000000-0000 0A 0:0 0:0 0 0 0 1"), "line 2: rem_address:", AFInet},
		{"uid", row("   0: 0100007F:1F91 00000000:0000 0A 0:0 0:0 0 -1 0 1"), "line 2: uid: expected a decimal number", AFInet},
		{"uid overflow", row("   0: 0100007F:1F91 00000000:0000 0A 0:0 0:0 0 4294967296 0 1"), "line 2: uid: expected a decimal number", AFInet},
		{"inode", row("   0: 0100007F:1F91 00000000:0000 0A 0:0 0:0 0 0 0 x1"), "line 2: inode: expected a decimal number", AFInet},
		{"line too long", tcpHeader + strings.Repeat("x", 20<<10) + "\n", "line 2: longer than", AFInet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(strings.NewReader(tt.in), snapshot.TCP, tt.family, nil, binary.LittleEndian)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := Parse(strings.NewReader(tcpHeader), snapshot.TCP, 1, nil); err == nil {
		t.Error("Parse with family 1: no error")
	}
}

func TestFileName(t *testing.T) {
	for _, tt := range []struct {
		proto  snapshot.Proto
		family int
		want   string
	}{
		{snapshot.TCP, AFInet, "tcp"}, {snapshot.TCP, AFInet6, "tcp6"}, {snapshot.UDPLite, AFInet6, "udplite6"},
		{snapshot.Raw, AFInet, "raw"}, {snapshot.SCTP, AFInet, ""}, {snapshot.UDP, 3, ""},
	} {
		got, err := FileName(tt.proto, tt.family)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("FileName(%s, %d) = %q, %v; want %q", tt.proto, tt.family, got, err, tt.want)
		}
	}
}

func TestReadMissingTable(t *testing.T) {
	dir := t.TempDir()
	_, err := Read(dir, "", snapshot.TCP, AFInet6, nil)
	if !os.IsNotExist(errors.Unwrap(err)) || !strings.Contains(err.Error(), filepath.Join(dir, "net", "tcp6")) {
		t.Fatalf("Read of a missing table: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "42", "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	in := tcpHeader + "   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1\n"
	if err := os.WriteFile(filepath.Join(dir, "42", "net", "tcp"), []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir, "42", snapshot.TCP, AFInet, nil)
	if err != nil || len(got) != 1 || got[0].Inode != 4242 {
		t.Fatalf("Read %s/42/net/tcp = %v, %v", dir, got, err)
	}
}

func TestReadProtos(t *testing.T) {
	dir := t.TempDir()
	protos := func(raw bool) []snapshot.Proto {
		p := []snapshot.Proto{snapshot.TCP, snapshot.UDP, snapshot.UDPLite}
		if raw {
			p = append(p, snapshot.Raw)
		}
		return p
	}
	if _, err := ReadProtos(dir, 7, protos(false), false); err == nil || !strings.Contains(err.Error(), "no /proc/net table readable") {
		t.Fatalf("ReadProtos without tables: %v", err)
	}
	// pid 0 is the calling thread's namespace: thread-self/net, not net
	// (self/net, the thread-group leader's).
	if err := os.MkdirAll(filepath.Join(dir, "thread-self/net"), 0o755); err != nil {
		t.Fatal(err)
	}
	tcp := tcpHeader +
		"   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1\n" +
		"   1: 0100007F:A886 0100007F:1F91 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n"
	udp := udpHeader +
		"  1: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0000000000000000 0\n"
	raw := udpHeader +
		"  1: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4 2 0000000000000000 0\n"
	for name, body := range map[string]string{"tcp": tcp, "udp": udp, "raw": raw} {
		if err := os.WriteFile(filepath.Join(dir, "thread-self/net", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		raw, established bool
		want             []uint64
	}{{false, false, []uint64{1, 3}}, {false, true, []uint64{1, 2, 3}}, {true, false, []uint64{1, 3, 4}}} {
		got, err := ReadProtos(dir, 0, protos(tt.raw), tt.established)
		if err != nil {
			t.Fatal(err)
		}
		var inodes []uint64
		for _, s := range got {
			inodes = append(inodes, s.Inode)
		}
		if !reflect.DeepEqual(inodes, tt.want) {
			t.Errorf("ReadProtos(raw=%v, established=%v) inodes %v, want %v", tt.raw, tt.established, inodes, tt.want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "thread-self/net", "udp6"), []byte("junk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadProtos(dir, 0, protos(false), false); err == nil || !strings.Contains(err.Error(), "udp6: line 1") {
		t.Errorf("ReadProtos with a corrupt udp6: %v", err)
	}
}

// TestGolden parses tables recorded in a test namespace (see the live test
// and its -capture flag) and compares with testdata/tables.golden.json.
// The recordings are little-endian; the parser is told so.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "tables", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded tables in testdata/tables; record them with go test -run TestLive -args -capture")
	}
	got := map[string][]snapshot.Socket{}
	for _, f := range files {
		name := filepath.Base(f)
		proto, family := snapshot.Proto(strings.TrimSuffix(name, "6")), AFInet
		if strings.HasSuffix(name, "6") {
			family = AFInet6
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		socks, err := parse(bytes.NewReader(b), proto, family, nil, binary.LittleEndian)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got[name] = socks
	}
	golden.CheckJSON(t, filepath.Join("testdata", "tables.golden.json"), got)
}

func js(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func FuzzParse(f *testing.F) {
	f.Add(tcpHeader+"   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1\n", false)
	f.Add(udpHeader+"  100: B80D0120000000000000000001000000:0035 00000000000000000000000000000000:0000 07 0:0 0:0 0 101 0 77 2 0 0\n", true)
	f.Fuzz(func(t *testing.T, in string, v6 bool) {
		family := AFInet
		if v6 {
			family = AFInet6
		}
		socks, err := parse(strings.NewReader(in), snapshot.UDP, family, nil, binary.LittleEndian)
		if err != nil {
			return
		}
		for _, s := range socks {
			if s.Local.Addr().Is4() != !v6 {
				t.Fatalf("family %d gave address %v", family, s.Local.Addr())
			}
			if (s.UID == nil) != (s.Inode == 0) {
				t.Fatalf("UID %v with inode %d", s.UID, s.Inode)
			}
		}
	})
}

// synthTable builds a tcp6 table of n rows, a quarter of them listening.
func synthTable(n int) []byte {
	var b bytes.Buffer
	b.WriteString(tcpHeader)
	for i := range n {
		st := "01"
		if i%4 == 0 {
			st = "0A"
		}
		fmt.Fprintf(&b, "%6d: B80D0120000000000000000001000000:%04X B80D0120000000000000000002000000:%04X %s 00000000:00000000 00:00000000 00000000  1000        0 %d 1 0000000000000000 100 0 0 10 0\n",
			i, i&0xffff, (i*7)&0xffff, st, 100000+i)
	}
	return b.Bytes()
}

func TestSynthTable(t *testing.T) {
	got, err := parse(bytes.NewReader(synthTable(1000)), snapshot.TCP, AFInet6, StateMask(1<<sockdiag.TCPListen), binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 {
		t.Fatalf("%d listeners, want 250", len(got))
	}
	for i, s := range got {
		if s.Inode != uint64(100000+4*i) || s.Local != mustAP(fmt.Sprintf("[2001:db8::1]:%d", 4*i)) || *s.UID != 1000 {
			t.Fatalf("row %d: %s", i, js(t, s))
		}
	}
}

func benchParse(b *testing.B, filter func(uint8) bool) {
	in := synthTable(10000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	r := bytes.NewReader(in)
	for b.Loop() {
		r.Reset(in)
		if _, err := parse(r, snapshot.TCP, AFInet6, filter, binary.LittleEndian); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse10kListen parses 10k tcp6 rows, keeping the 2.5k listeners.
func BenchmarkParse10kListen(b *testing.B) { benchParse(b, StateMask(1<<sockdiag.TCPListen)) }

// BenchmarkParse10kAll parses and keeps 10k tcp6 rows.
func BenchmarkParse10kAll(b *testing.B) { benchParse(b, nil) }

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
