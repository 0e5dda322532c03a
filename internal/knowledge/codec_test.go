package knowledge

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// yamlData reads data/*.yaml, the source of the generated form, into memory.
func yamlData(t testing.TB) fstest.MapFS {
	t.Helper()
	names, err := os.ReadDir("data")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, de := range names {
		b, err := os.ReadFile("data/" + de.Name())
		if err != nil {
			t.Fatal(err)
		}
		fsys[de.Name()] = &fstest.MapFile{Data: b}
	}
	return fsys
}

// TestGeneratedCurrent regenerates base.bin from data/*.yaml in memory and
// fails when the embedded copy differs; with -update it rewrites base.bin
// (go generate ./internal/knowledge runs it so).
func TestGeneratedCurrent(t *testing.T) {
	b, err := Parse(yamlData(t))
	if err != nil {
		t.Fatalf("data/*.yaml: %v", err)
	}
	want := encode(b)
	if *update {
		if err := os.WriteFile("base.bin", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal([]byte(generated), want) {
		t.Fatalf("base.bin is stale: data/*.yaml changed since it was generated (%d bytes embedded, %d generated now); "+
			"refresh it with: go generate ./internal/knowledge", len(generated), len(want))
	}
}

// TestLoadMatchesParse checks that the base Load decodes is the base Parse
// builds from the YAML, indexes included.
func TestLoadMatchesParse(t *testing.T) {
	if *update {
		t.Skip("-update may just have rewritten base.bin; this binary embeds the old one")
	}
	parsed, err := Parse(yamlData(t))
	if err != nil {
		t.Fatal(err)
	}
	loaded := mustLoad(t)
	if len(loaded.entries) != len(parsed.entries) {
		t.Fatalf("Load has %d entries, Parse %d", len(loaded.entries), len(parsed.entries))
	}
	for i := range parsed.entries {
		if !reflect.DeepEqual(loaded.entries[i], parsed.entries[i]) {
			t.Errorf("entry %d (%s) differs between Load and data/*.yaml (stale base.bin? go generate ./internal/knowledge)", i, parsed.entries[i].ID)
		}
	}
	if !reflect.DeepEqual(loaded, parsed) {
		t.Error("Load and Parse build different bases (indexes or messages differ)")
	}
}

// TestArraySizes checks that the arrays of Entry fit the exported lists
// they are indexed by.
func TestArraySizes(t *testing.T) {
	var e Entry
	if len(Platforms) != numPlatforms || len(processKeys) != len(e.processes.end) || len(stopKeys) != len(e.stop.end) {
		t.Errorf("%d platforms, numPlatforms %d, %d process keys for %d lists, %d stop keys for %d lists",
			len(Platforms), numPlatforms, len(processKeys), len(e.processes.end), len(stopKeys), len(e.stop.end))
	}
	if len(Exposures) != len(e.severity) {
		t.Errorf("%d exposures, %d severities per entry", len(Exposures), len(e.severity))
	}
}

// codecFixture is small data that uses every field the form holds: a relay
// with a fallback, patterns, port ranges, confirmed names, shares, notes.
const codecFixture = `entries:
  - id: relay
    name: Relay
    service: relay
    kind: relay
    also_ports: [9/tcp]
    processes: {shared: [relayd], linux: [relay-linux]}
    port_confirmed: [relayd]
    fallback: demo
    severity: {loopback: info, link-local: info, address: review, all: risky}
    description: {en: "Relay.", ja: "中継です。"}
    risk: {en: "Risk.", ja: "危険です。"}
    restrict: {en: "Restrict.", ja: "制限してください。"}
    stop: {linux: ["systemctl disable --now relay   # if unused"], inetd: ["#relay stream tcp"]}
    sources: ["relayd(8)"]
  - id: demo
    name: Demo
    service: demo
    ports: [7/tcp, 6000-6063/tcp]
    also_ports: [8/udp]
    processes: {shared: [Demod]}
    process_patterns: ["demo-*"]
    shares_process: [relay]
    preferred_on: [openbsd]
    severity: {loopback: info, link-local: info, address: review, all: risky}
    description: {en: "Demo.", ja: "デモです。"}
    risk: {en: "Risk.", ja: "危険です。"}
    restrict: {en: "Restrict.", ja: "制限してください。"}
    stop: {linux: ["systemctl disable --now demo.service"]}
    sources: ["RFC 862", "https://example.org/demo"]
messages:
  - id: rule.x
    severity: review
    text: {en: "%[1]s on %[2]d", ja: "%[2]d 番の %[1]s"}
    detail: {en: "d", ja: "説明"}
  - id: table.y
    text: {en: "y", ja: "ワイ"}
    detail: {en: "d", ja: "説明"}
notes:
  - {en: "if unused", ja: "使わない場合"}
`

func TestCodecRoundTrip(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"fixture": {"f.yaml": {Data: []byte(codecFixture)}},
		"data":    yamlData(t),
	} {
		t.Run(name, func(t *testing.T) {
			want, err := Parse(fsys)
			if err != nil {
				t.Fatal(err)
			}
			enc := encode(want)
			got, err := decode(string(enc))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Error("decode(encode(b)) differs from b")
			}
			if again := encode(got); !bytes.Equal(again, enc) {
				t.Error("encoding is not deterministic across a round trip")
			}
		})
	}
	b, err := decode(string(encode(mustParse(t, codecFixture))))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		proc   string
		port   uint16
		wantID string
		by     Method
	}{
		{"relayd", 9, "relay", ByProcess},         // confirmed on its port
		{"relay-linux", 4711, "demo", ByProcess},  // fallback of the relay
		{"", 6001, "demo", ByPort},                // range
		{"demo-agent", 4711, "demo", ByHeuristic}, // pattern
		{"relay-linux", 7, "demo", ByPort},        // relay on a claimed port
		{"demod", 4711, "demo", ByProcess},        // lower-cased name
	}
	for _, tt := range tests {
		m, ok := b.Identify(tt.proc, "tcp", tt.port, "linux")
		if !ok || m.Entry == nil || m.Entry.ID != tt.wantID || m.By != tt.by {
			t.Errorf("Identify(%q, %d) = %+v, %v; want %s by %s", tt.proc, tt.port, m, ok, tt.wantID, tt.by)
		}
	}
	e, _ := b.Entry("relay")
	if got := e.StopText("linux", LangJA); len(got) != 1 || !strings.HasSuffix(got[0], "# 使わない場合") {
		t.Errorf("decoded StopText ja = %q", got)
	}
}

func mustParse(t testing.TB, yaml string) *Base {
	t.Helper()
	b, err := Parse(fstest.MapFS{"f.yaml": {Data: []byte(yaml)}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeCorrupt(t *testing.T) {
	good := string(encode(mustParse(t, codecFixture)))
	tests := []struct {
		name string
		data string
		want string
	}{
		{"empty", "", "bad magic"},
		{"other version", strings.Replace(good, "v3", "v2", 1), "bad magic"},
		{"truncated", good[:len(good)-3], "offset"},
		{"magic only", codecMagic, "truncated number"},
		{"trailing bytes", good + "x", "bytes after the last message"},
		{"huge count", codecMagic + "\xff\xff\xff\xff\x0f", "exceeds"},
		{"overflow", codecMagic + "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", "overflows"},
		{"unknown fallback", strings.Replace(good, "\x04demo", "\x04dema", 1), "unknown fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := decode(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("decode = %v, %v; want an error containing %q", b, err, tt.want)
			}
		})
	}
	// Every prefix of a valid form is an error, never a panic.
	for i := range len(good) {
		if _, err := decode(good[:i]); err == nil {
			t.Fatalf("decode of the first %d of %d bytes succeeded", i, len(good))
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder of the generated form: it
// must return a base or an error, never panic.
func FuzzDecode(f *testing.F) {
	good := encode(mustParse(f, codecFixture))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(codecMagic + "\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := decode(string(data))
		if err == nil && b == nil {
			t.Fatal("nil base without error")
		}
		if err == nil {
			b.Identify("x", "tcp", 1, "")
			b.Explain("1")
		}
	})
}
