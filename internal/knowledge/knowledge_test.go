package knowledge

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/openports/openports/internal/snapshot"
)

func mustLoad(t testing.TB) *Base {
	t.Helper()
	b, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return b
}

func TestLoadIsCached(t *testing.T) {
	a, b := mustLoad(t), mustLoad(t)
	if a != b {
		t.Error("Load returned two different bases; want one cached base")
	}
}

// TestEntriesComplete checks every entry directly, independently of the
// loader's own validation, so that a loader bug cannot hide bad data.
func TestEntriesComplete(t *testing.T) {
	b := mustLoad(t)
	entries := b.Entries()
	if len(entries) < 120 {
		t.Errorf("%d entries, want at least 120", len(entries))
	}
	ids := map[string]bool{}
	for _, e := range entries {
		if ids[e.ID] {
			t.Errorf("duplicate id %q", e.ID)
		}
		ids[e.ID] = true
		if e.Name == "" || e.Service == "" {
			t.Errorf("%s: missing name or service", e.ID)
		}
		for _, lang := range Langs {
			tx := e.Text(lang)
			for field, s := range map[string]string{"description": tx.Description, "risk": tx.Risk, "restrict": tx.Restrict} {
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s: %s.%s is missing", e.ID, field, lang)
				}
			}
		}
		// The Japanese text must really be Japanese, not a copy of the English.
		for field, tx := range map[string]Text{"description": e.Description, "risk": e.Risk, "restrict": e.Restrict} {
			if tx.JA == tx.EN || !hasJapanese(tx.JA) {
				t.Errorf("%s: %s.ja is not a Japanese translation: %q", e.ID, field, tx.JA)
			}
		}
		for _, x := range Exposures {
			if s := e.Severity(x); !s.Valid() {
				t.Errorf("%s: severity for %s is %v", e.ID, x, s)
			}
		}
		for _, p := range append(slices.Clone(e.Ports), e.AlsoPorts...) {
			if p.First == 0 || p.Last < p.First {
				t.Errorf("%s: invalid port %v", e.ID, p)
			}
		}
		if len(e.Sources) == 0 {
			t.Errorf("%s: no sources", e.ID)
		}
		if len(e.StopPlatforms()) == 0 {
			t.Errorf("%s: no stop instructions", e.ID)
		}
	}
}

func hasJapanese(s string) bool {
	for _, r := range s {
		if (r >= 0x3040 && r <= 0x30ff) || (r >= 0x4e00 && r <= 0x9fff) {
			return true
		}
	}
	return false
}

// TestProcessClaims checks that no process name is claimed by two entries on
// one platform unless both entries say so.
func TestProcessClaims(t *testing.T) {
	b := mustLoad(t)
	for _, os := range Platforms {
		owner := map[string]*Entry{}
		for _, e := range b.Entries() {
			for _, n := range e.Processes(os) {
				n = strings.ToLower(n)
				prev, ok := owner[n]
				if !ok {
					owner[n] = e
					continue
				}
				if !slices.Contains(prev.shares, e.ID) || !slices.Contains(e.shares, prev.ID) {
					t.Errorf("%s: process %q claimed by %s and %s", os, n, prev.ID, e.ID)
				}
			}
		}
	}
}

// TestPortClaims checks that each identifying port belongs to one entry.
func TestPortClaims(t *testing.T) {
	b := mustLoad(t)
	es := b.Entries()
	for i, e := range es {
		for _, p := range e.Ports {
			for _, o := range es[i+1:] {
				for _, q := range o.Ports {
					if p.overlaps(q) {
						t.Errorf("%s %v overlaps %s %v", e.ID, p, o.ID, q)
					}
				}
			}
		}
	}
}

// TestSeedServicesPresent names the services the seed's sample hosts run and
// the common services the issue lists; each must have an entry.
func TestSeedServicesPresent(t *testing.T) {
	b := mustLoad(t)
	for _, id := range []string{
		// the seed
		"ntpd", "syslogd", "bind", "isc-dhcpd", "thttpd", "http", "postfix", "wnn-jserver", "openssh",
		"samba-smbd", "samba-nmbd", "x11", "inetd", "telnet", "tftp", "nfsd", "mountd", "rpcbind",
		// today's common services
		"postgresql", "mysql", "mongodb", "redis", "memcached", "elasticsearch", "cassandra", "etcd",
		"consul", "vault", "kafka", "zookeeper", "rabbitmq", "nats", "mosquitto", "docker", "containerd",
		"kubelet", "kube-apiserver", "kube-proxy", "coredns", "avahi", "mdns", "llmnr", "systemd-resolved",
		"cups", "vnc", "rdp", "prometheus", "node-exporter", "grafana", "nginx", "apache-httpd", "caddy",
		"haproxy", "squid", "dnsmasq", "unbound", "chrony", "snmpd", "slapd", "kerberos-kdc", "dovecot",
		"exim", "rsyncd", "git-daemon", "rpc-statd", "cockpit", "webmin", "jupyter", "tor", "wireguard",
		"openvpn", "strongswan", "sip", "minecraft",
	} {
		if _, ok := b.Entry(id); !ok {
			t.Errorf("no entry %q", id)
		}
	}
}

func TestSeverityOrderAndText(t *testing.T) {
	if !(Info < Review && Review < Risky && Risky < Dangerous) {
		t.Fatal("severities are not ordered info < review < risky < dangerous")
	}
	for _, s := range []Severity{Info, Review, Risky, Dangerous} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatalf("%v: MarshalText: %v", s, err)
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("round trip of %v: got %v, %v", s, back, err)
		}
	}
	if _, err := Severity(9).MarshalText(); err == nil {
		t.Error("MarshalText of an invalid severity succeeded")
	}
	var s Severity
	if err := s.UnmarshalText([]byte("critical")); err == nil {
		t.Error("UnmarshalText accepted an unknown name")
	}
	out, err := json.Marshal(struct{ S Severity }{Risky})
	if err != nil || string(out) != `{"S":"risky"}` {
		t.Errorf("JSON: got %s, %v", out, err)
	}
}

func TestEntrySeverityByExposure(t *testing.T) {
	b := mustLoad(t)
	x, _ := b.Entry("x11")
	tests := []struct {
		exposure snapshot.Exposure
		want     Severity
	}{
		{snapshot.ExposureLoopback, Review},
		{snapshot.ExposureLinkLocal, Dangerous},
		{snapshot.ExposureAddress, Dangerous},
		{snapshot.ExposureAll, Dangerous},
		{"some-future-class", Dangerous}, // unknown classes get the worst
	}
	for _, tt := range tests {
		if got := x.Severity(tt.exposure); got != tt.want {
			t.Errorf("x11.Severity(%q) = %v, want %v", tt.exposure, got, tt.want)
		}
	}
}

func TestLang(t *testing.T) {
	for in, want := range map[string]string{
		"ja": LangJA, "ja_JP.UTF-8": LangJA, "ja-JP": LangJA, "JA_jp.eucJP": LangJA,
		"en": LangEN, "en_US.UTF-8": LangEN, "C": LangEN, "": LangEN, "jav": LangEN, "POSIX": LangEN,
	} {
		if got := NormalizeLang(in); got != want {
			t.Errorf("NormalizeLang(%q) = %q, want %q", in, got, want)
		}
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LANG": "ja_JP.UTF-8"}, LangJA},
		{map[string]string{"LANG": "ja_JP.UTF-8", "LC_ALL": "C"}, LangEN},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8"}, LangJA},
		{map[string]string{}, LangEN},
	}
	for _, tt := range tests {
		if got := LangFromEnv(env(tt.env)); got != tt.want {
			t.Errorf("LangFromEnv(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestParsePortSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    PortSpec
		wantErr bool
	}{
		{"22/tcp", PortSpec{snapshot.TCP, 22, 22}, false},
		{"6000-6063/tcp", PortSpec{snapshot.TCP, 6000, 6063}, false},
		{"53/udp", PortSpec{snapshot.UDP, 53, 53}, false},
		{"65535/sctp", PortSpec{snapshot.SCTP, 65535, 65535}, false},
		{"0/tcp", PortSpec{}, true},
		{"65536/tcp", PortSpec{}, true},
		{"22", PortSpec{}, true},
		{"22/icmp", PortSpec{}, true},
		{"100-100/tcp", PortSpec{}, true},
		{"200-100/tcp", PortSpec{}, true},
		{"+22/tcp", PortSpec{}, true},
		{"-/tcp", PortSpec{}, true},
	}
	for _, tt := range tests {
		got, err := ParsePortSpec(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParsePortSpec(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestLookupKeys(t *testing.T) {
	b := mustLoad(t)
	for _, e := range b.Entries() {
		for _, k := range e.Keys() {
			for _, lang := range Langs {
				if s, ok := b.Lookup(k, lang); !ok || s == "" {
					t.Errorf("Lookup(%q, %s) failed", k, lang)
				}
			}
		}
	}
	for _, id := range b.Messages() {
		for _, f := range []string{"text", "detail"} {
			ja, ok := b.Lookup("message."+id+"."+f, LangJA)
			en, _ := b.Lookup("message."+id+"."+f, LangEN)
			if !ok || ja == en || !hasJapanese(ja) {
				t.Errorf("message %s.%s: ja %q en %q", id, f, ja, en)
			}
		}
	}
	for _, k := range []string{"", "entry", "entry.openssh", "entry.openssh.nope", "entry.nope.risk", "message.nope.text", "x.openssh.risk"} {
		if _, ok := b.Lookup(k, LangEN); ok {
			t.Errorf("Lookup(%q) succeeded", k)
		}
	}
}

func TestRuleMessages(t *testing.T) {
	b := mustLoad(t)
	for _, id := range []string{"unknown.service", "rule.duplicate-listener", "rule.ephemeral-bound", "rule.loopback-twin", "rule.root-wildcard", "rule.public-wildcard"} {
		m, ok := b.Message(id)
		if !ok {
			t.Errorf("no message %q", id)
			continue
		}
		if strings.HasPrefix(id, "rule.") && !m.Severity.Valid() {
			t.Errorf("%s: rule without a severity", id)
		}
	}
}

func TestDefaultEphemeral(t *testing.T) {
	for _, os := range Platforms {
		r, ok := DefaultEphemeral(os)
		if !ok || r.First == 0 || r.Last < r.First {
			t.Errorf("DefaultEphemeral(%s) = %v, %v", os, r, ok)
		}
	}
	// The seed's "unknown port in the 65000 range" on NetBSD is ephemeral.
	if r, _ := DefaultEphemeral("netbsd"); !r.Contains(65000) {
		t.Errorf("NetBSD range %v does not hold 65000", r)
	}
	if _, ok := DefaultEphemeral("plan9"); ok {
		t.Error("DefaultEphemeral knows plan9")
	}
}

// validEntry is a minimal valid entry for the invalid-data tests to break.
const validEntry = `entries:
  - id: demo
    name: Demo
    service: demo
    ports: [7/tcp]
    processes: {shared: [demod]}
    severity: {loopback: info, link-local: info, address: review, all: risky}
    description: {en: "Demo.", ja: "デモです。"}
    risk: {en: "Risk.", ja: "危険です。"}
    restrict: {en: "Restrict.", ja: "制限してください。"}
    stop: {linux: ["systemctl disable --now demo.service"]}
    sources: ["RFC 862"]
`

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want []string // substrings of the error
	}{
		{"missing ja", func(s string) string {
			return strings.Replace(s, `risk: {en: "Risk.", ja: "危険です。"}`, `risk: {en: "Risk."}`, 1)
		},
			[]string{"demo.yaml:9:", "demo: field risk.ja: missing text"}},
		{"unknown field", func(s string) string {
			return strings.Replace(s, "    name: Demo\n", "    name: Demo\n    colour: red\n", 1)
		},
			[]string{"demo.yaml:4:", "field colour not found"}},
		{"typo in language", func(s string) string { return strings.Replace(s, `ja: "デモです。"`, `jp: "デモです。"`, 1) },
			[]string{"field jp not found"}},
		{"bad port", func(s string) string { return strings.Replace(s, "[7/tcp]", "[70000/tcp]", 1) },
			[]string{"demo.yaml:5:", "field ports[0]", "not a port number"}},
		{"bad severity", func(s string) string { return strings.Replace(s, "all: risky", "all: scary", 1) },
			[]string{"field severity.all", "unknown severity"}},
		{"missing exposure", func(s string) string { return strings.Replace(s, "link-local: info, ", "", 1) },
			[]string{`missing severity for exposure "link-local"`}},
		{"unknown exposure", func(s string) string { return strings.Replace(s, "all: risky", "all: risky, lan: info", 1) },
			[]string{"field severity.lan"}},
		{"no sources", func(s string) string { return strings.Replace(s, `    sources: ["RFC 862"]`+"\n", "", 1) },
			[]string{"field sources: missing"}},
		{"bad source", func(s string) string { return strings.Replace(s, `"RFC 862"`, `"somewhere"`, 1) },
			[]string{"field sources[0]"}},
		{"no stop", func(s string) string {
			return strings.Replace(s, `    stop: {linux: ["systemctl disable --now demo.service"]}`+"\n", "", 1)
		}, []string{"field stop: missing"}},
		{"unknown platform", func(s string) string { return strings.Replace(s, "{shared: [demod]}", "{hurd: [demod]}", 1) },
			[]string{"field processes.hurd"}},
		{"duplicate id", func(s string) string { return s + strings.TrimPrefix(validEntry, "entries:\n") },
			[]string{"duplicate id"}},
		{"loopback worse than all", func(s string) string { return strings.Replace(s, "loopback: info", "loopback: dangerous", 1) },
			[]string{"loopback exposure must not be more severe"}},
		{"not identifiable", func(s string) string {
			return strings.Replace(strings.Replace(s, "    ports: [7/tcp]\n", "", 1), "    processes: {shared: [demod]}\n", "", 1)
		}, []string{"nothing identifies this entry"}},
		{"unknown kind", func(s string) string {
			return strings.Replace(s, "    service: demo\n", "    service: demo\n    kind: daemon\n", 1)
		},
			[]string{`unknown kind "daemon"`}},
		{"fallback on a service", func(s string) string {
			return strings.Replace(s, "    service: demo\n", "    service: demo\n    fallback: demo\n", 1)
		},
			[]string{"only a relay entry may have a fallback"}},
		{"untranslated stop note", func(s string) string {
			return strings.Replace(s, `demo.service"]}`, `demo.service   # if unused"]}`, 1)
		}, []string{"demo.yaml:11:", "field stop.linux[0]", `note "if unused" has no Japanese translation`}},
		{"not yaml", func(string) string { return "entries: [\n" }, []string{"demo.yaml:", "decode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"demo.yaml": {Data: []byte(tt.edit(validEntry))}}
			_, err := Parse(fsys)
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseCrossEntry(t *testing.T) {
	second := strings.NewReplacer("id: demo", "id: other", "name: Demo", "name: Other").Replace(strings.TrimPrefix(validEntry, "entries:\n"))
	tests := []struct {
		name  string
		other string
		want  string
	}{
		{"port claimed twice", second, "7/tcp is already claimed by demo"},
		{"process claimed twice", strings.Replace(second, "[7/tcp]", "[8/tcp]", 1), `process "demod" on linux is also claimed by demo`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(fstest.MapFS{"demo.yaml": {Data: []byte(validEntry + tt.other)}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.File != "demo.yaml" || ve.Line == 0 {
				t.Errorf("error is not a located ValidationError: %#v", ve)
			}
		})
	}
	// Intended sharing is allowed when both entries say so.
	shared := strings.Replace(strings.Replace(second, "[7/tcp]", "[8/tcp]", 1), "    severity:", "    shares_process: [demo]\n    severity:", 1)
	self := strings.Replace(validEntry, "    severity:", "    shares_process: [other]\n    severity:", 1)
	if _, err := Parse(fstest.MapFS{"demo.yaml": {Data: []byte(self + shared)}}); err != nil {
		t.Errorf("intended process sharing rejected: %v", err)
	}
}

func TestStopNotesTranslated(t *testing.T) {
	note := "notes:\n  - {en: \"if unused\", ja: \"使わない場合\"}\n"
	data := strings.Replace(validEntry, `demo.service"]}`, `demo.service   # if unused", "#demo stream tcp nowait root /usr/libexec/demod demod"]}`, 1)
	b, err := Parse(fstest.MapFS{"demo.yaml": {Data: []byte(data)}, "notes.yaml": {Data: []byte(note)}})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := b.Entry("demo")
	want := []string{"systemctl disable --now demo.service   # 使わない場合", "#demo stream tcp nowait root /usr/libexec/demod demod"}
	if got := e.StopText("linux", "ja_JP.UTF-8"); !slices.Equal(got, want) {
		t.Errorf("StopText ja = %q, want %q", got, want)
	}
	if got := e.StopText("linux", LangEN); !slices.Equal(got, e.Stop("linux")) {
		t.Errorf("StopText en = %q, want Stop's %q", got, e.Stop("linux"))
	}
	_, err = Parse(fstest.MapFS{"notes.yaml": {Data: []byte("notes:\n  - {en: \"x\"}\n")}})
	if err == nil || !strings.Contains(err.Error(), "notes.yaml:2: field notes.ja: missing text") {
		t.Errorf("note without ja: got %v", err)
	}
}

func TestParseMessages(t *testing.T) {
	msg := func(en, ja string) string {
		return "messages:\n  - id: rule.x\n    severity: review\n    text: {en: \"" + en + "\", ja: \"" + ja + "\"}\n    detail: {en: \"d\", ja: \"説明\"}\n"
	}
	if _, err := Parse(fstest.MapFS{"m.yaml": {Data: []byte(msg("%[1]s on %[2]d", "%[2]d 番の %[1]s"))}}); err != nil {
		t.Errorf("valid message rejected: %v", err)
	}
	_, err := Parse(fstest.MapFS{"m.yaml": {Data: []byte(msg("%[1]s on %[2]d", "%[1]s"))}})
	if err == nil || !strings.Contains(err.Error(), "m.yaml:4:") || !strings.Contains(err.Error(), "verbs") {
		t.Errorf("mismatched verbs: got %v", err)
	}
	_, err = Parse(fstest.MapFS{"m.yaml": {Data: []byte(strings.Replace(msg("a", "あ"), `ja: "あ"`, `ja: ""`, 1))}})
	if err == nil || !strings.Contains(err.Error(), "text.ja: missing text") {
		t.Errorf("missing ja message: got %v", err)
	}
}

func TestParseNoFiles(t *testing.T) {
	if _, err := Parse(fstest.MapFS{}); err == nil {
		t.Error("Parse of an empty FS succeeded")
	}
}
