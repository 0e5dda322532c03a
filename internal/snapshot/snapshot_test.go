package snapshot

import (
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func fullSnapshot() *Snapshot {
	return &Snapshot{
		Schema: SchemaVersion, Host: "h", OS: "linux", Kernel: "6.1",
		Taken:          time.Date(2026, 11, 25, 14, 0, 0, 123456789, time.UTC),
		Source:         "linux/sock_diag",
		Privilege:      Privilege{EUID: 0, Capabilities: []string{"CAP_SYS_PTRACE"}, HidePID: "invisible", UserNamespace: true},
		BindV6Only:     Bool(false),
		EphemeralPorts: &PortRange{First: 32768, Last: 60999},
		Namespaces:     []Namespace{{ID: 4026531840, Name: "init", Current: true}},
		Interfaces: []Interface{{NetNS: 4026531840, Index: 2, Name: "veth0", Up: true,
			Addrs: []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("2001:db8::1/64")}}},
		Sockets: []Socket{{
			Proto: TCP, Local: netip.MustParseAddrPort("[::]:22"), State: Listen,
			Inode: 1234, UID: Uint32(0), User: "root", Cookie: 1 << 40, KernelAddr: "c24e6380", Interface: "veth0", IfIndex: 2,
			V6Only: Bool(false), NetNS: 4026531840, OwnerState: OwnersComplete,
			Owners: []Owner{{PID: 1, StartTime: 7, PPID: 0, Name: "sshd", Cmdline: []string{"/usr/sbin/sshd", "-D"},
				Exe: "/usr/sbin/sshd (deleted)", UID: Uint32(0), User: "root", FDs: []int{3, 4}}},
		}, {
			Proto: UDP, Local: netip.MustParseAddrPort("[fe80::1%veth0]:123"), Remote: netip.MustParseAddrPort("192.0.2.9:53"),
			State: Unconnected, OwnerState: OwnersUnknown, OwnerReason: "needs CAP_SYS_PTRACE", Truncated: []string{"process-name"},
			Owners: []Owner{{PID: 9, Name: "odd \n\xff\x00name", Cmdline: []string{"a b", "\xfe"}, Via: "address"}},
		}},
		Gaps: []Gap{{Area: "owners", Reason: "no-capability", Detail: "x", Count: 2}},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := fullSnapshot()
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip lost data:\n in: %+v\nout: %+v", in, out)
	}
}

func TestInvalidUTF8IsEncodedAsBytes(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, fullSnapshot()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"name": [`) {
		t.Errorf("non-UTF-8 name not written as a byte array:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "\ufffd") {
		t.Errorf("replacement character in output: bytes were lost")
	}
}

func TestReadRejects(t *testing.T) {
	for name, in := range map[string]string{
		"unknown field": `{"schema":1,"bogus":1,"sockets":[]}`,
		"newer schema":  `{"schema":99,"sockets":[]}`,
		"bad byte":      `{"schema":1,"sockets":[{"proto":"tcp","local":"1.2.3.4:5","state":"LISTEN","owner_state":"complete","owners":[{"pid":1,"name":[256]}]}]}`,
		"bad address":   `{"schema":1,"sockets":[{"proto":"tcp","local":"1.2.3:5"}]}`,
	} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("%s: Read accepted %s", name, in)
		}
	}
}

func FuzzOwnerJSON(f *testing.F) {
	f.Add("sshd", "/usr/sbin/sshd")
	f.Add("\xff\x00", "a\nb")
	f.Fuzz(func(t *testing.T, name, arg string) {
		in := &Snapshot{Schema: 1, Sockets: []Socket{{Proto: TCP, Local: netip.MustParseAddrPort("0.0.0.0:1"),
			OwnerState: OwnersComplete, Owners: []Owner{{PID: 1, Name: name, Cmdline: []string{arg}, Exe: arg}}}}}
		var buf bytes.Buffer
		if err := Write(&buf, in); err != nil {
			t.Fatal(err)
		}
		out, err := Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("lost: %q %q -> %+v", name, arg, out.Sockets[0].Owners[0])
		}
	})
}

func TestUnparsedAddressKeepsPort(t *testing.T) {
	in := &Snapshot{Schema: 1, Sockets: []Socket{{Proto: TCP, Local: netip.AddrPortFrom(netip.Addr{}, 22), LocalText: "kbrazil-mac.attl",
		Remote: netip.AddrPortFrom(netip.Addr{}, 5555), RemoteText: "ns1", State: Established, OwnerState: OwnersUnknown}}}
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("lost: %+v", out.Sockets[0])
	}
}

func TestReadRejectsUnknownSocketField(t *testing.T) {
	in := `{"schema":1,"sockets":[{"proto":"tcp","local":"1.2.3.4:5","state":"LISTEN","owner_state":"complete","colour":"red"}]}`
	if _, err := Read(strings.NewReader(in)); err == nil {
		t.Error("unknown socket field accepted")
	}
}
