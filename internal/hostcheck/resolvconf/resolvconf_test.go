package resolvconf

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
)

func TestCorpusGolden(t *testing.T) {
	golden.CheckCorpusJSON(t, "testdata/corpus/*.conf", func(t *testing.T, name string, data []byte) any {
		c, err := Parse(bytes.NewReader(data), name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

// TestCorpusFacts pins the facts of the corpus files independently of the
// golden files, so that a careless -update cannot bless a regression.
func TestCorpusFacts(t *testing.T) {
	parse := func(name string) *Config {
		t.Helper()
		f, err := os.Open(filepath.Join("testdata/corpus", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c, err := Parse(f, name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := parse("generic-1.conf")
	wantNS := []string{"75.75.75.75", "75.75.76.76", "2001:558:feed::2"}
	if got := addrs(c.Nameservers); strings.Join(got, " ") != strings.Join(wantNS, " ") {
		t.Errorf("generic-1 nameservers = %v, want %v", got, wantNS)
	}
	if !hasProblem(c, 5, Warning, "white space") {
		t.Errorf("generic-1: indented nameserver on line 5 not reported: %v", c.Problems)
	}
	if !hasProblem(c, 12, Warning, "already set on line 2") {
		t.Errorf("generic-1: second search on line 12 not reported: %v", c.Problems)
	}
	if c.SearchLine != 12 || len(c.Search) != 2 || c.Search[0] != "hello.com" {
		t.Errorf("generic-1: search = %v (line %d), want [hello.com world.com] from line 12", c.Search, c.SearchLine)
	}

	c = parse("generic-2.conf")
	if len(c.Options) != 2 || c.Options[0].Name != "rotate" || c.Options[1].Value != "1" {
		t.Errorf("generic-2 options = %+v", c.Options)
	}
	if len(c.Problems) != 0 {
		t.Errorf("generic-2: unexpected problems %v", c.Problems)
	}

	c = parse("generic-3.conf")
	if c.Domain != "doc.com" || c.SearchLine != 5 {
		t.Errorf("generic-3 domain = %q line %d", c.Domain, c.SearchLine)
	}
	if !hasProblem(c, 6, Warning, "this host") {
		t.Errorf("generic-3: nameserver 0.0.0.0 not reported: %v", c.Problems)
	}
}

func addrs(ns []Nameserver) []string {
	var out []string
	for _, n := range ns {
		if !n.Ignored {
			out = append(out, n.Addr.String())
		}
	}
	return out
}

func hasProblem(c *Config, line int, sev Severity, substr string) bool {
	for _, p := range c.Problems {
		if p.Line == line && p.Severity == sev && strings.Contains(p.Message, substr) {
			return true
		}
	}
	return false
}

func TestParseCases(t *testing.T) {
	type want struct {
		line int
		sev  Severity
		msg  string
	}
	tests := []struct {
		name     string
		in       string
		ns       []string
		problems []want
	}{
		{
			name: "clean",
			in:   "# comment\n; other comment\nnameserver 192.0.2.1\nnameserver 2001:db8::53\nsearch example.org\noptions ndots:2 edns0 trust-ad\n",
			ns:   []string{"192.0.2.1", "2001:db8::53"},
		},
		{
			name:     "not an address",
			in:       "nameserver 192.0.2.1\nnameserver dns.example.org\n",
			ns:       []string{"192.0.2.1"},
			problems: []want{{2, Error, "not an IP address"}},
		},
		{
			name:     "four nameservers",
			in:       "nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\nnameserver 192.0.2.4\n",
			ns:       []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"},
			problems: []want{{4, Warning, "ignores 192.0.2.4"}},
		},
		{
			name:     "unknown option and out of range",
			in:       "nameserver 192.0.2.1\noptions ndots:20 fastest timeout\n",
			ns:       []string{"192.0.2.1"},
			problems: []want{{2, Warning, "caps it at 15"}, {2, Warning, `unknown option "fastest"`}, {2, Error, "needs a value"}},
		},
		{
			name:     "empty nameserver and unknown keyword",
			in:       "nameserver\nnameservers 192.0.2.1\n",
			problems: []want{{1, Error, "without an address"}, {2, Warning, `unknown keyword "nameservers"`}},
		},
		{
			name:     "duplicate and extra words",
			in:       "nameserver 192.0.2.1\nnameserver 192.0.2.1 192.0.2.2\n",
			ns:       []string{"192.0.2.1", "192.0.2.1"},
			problems: []want{{2, Warning, "one address"}, {2, Warning, "listed twice (first on line 1)"}},
		},
		{
			name:     "inline comment after nameserver is fine",
			in:       "nameserver 192.0.2.1 # office\nnameserver 192.0.2.2;lab\n",
			ns:       []string{"192.0.2.1", "192.0.2.2"},
			problems: nil,
		},
		{
			name:     "bad domain",
			in:       "domain exa mple..org\nsearch a..b\n",
			problems: []want{{1, Warning, "one name"}, {2, Error, "empty label"}, {2, Warning, "last one wins"}},
		},
		{
			name:     "scoped link-local",
			in:       "nameserver fe80::1%eth0\nnameserver fe80::2\n",
			ns:       []string{"fe80::1%eth0", "fe80::2"},
			problems: []want{{2, Warning, "no %interface zone"}},
		},
		{
			name: "crlf and no final newline",
			in:   "nameserver 192.0.2.1\r\nnameserver 192.0.2.2",
			ns:   []string{"192.0.2.1", "192.0.2.2"},
		},
		{
			name:     "sortlist",
			in:       "sortlist 192.0.2.0/255.255.255.0 198.51.100.0 nonsense/8\n",
			problems: []want{{1, Error, `"nonsense/8"`}},
		},
		{
			name:     "multicast nameserver",
			in:       "nameserver 224.0.0.251\n",
			problems: []want{{1, Error, "multicast"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.in), "resolv.conf")
			if err != nil {
				t.Fatal(err)
			}
			var gotNS []string
			for _, n := range c.Nameservers {
				if !n.Ignored {
					gotNS = append(gotNS, n.Addr.String())
				}
			}
			if strings.Join(gotNS, ",") != strings.Join(tt.ns, ",") {
				t.Errorf("nameservers = %v, want %v", gotNS, tt.ns)
			}
			if len(c.Problems) != len(tt.problems) {
				t.Errorf("got %d problems, want %d: %v", len(c.Problems), len(tt.problems), c.Problems)
			}
			for _, w := range tt.problems {
				if !hasProblem(c, w.line, w.sev, w.msg) {
					t.Errorf("missing problem line %d %s %q in %v", w.line, w.sev, w.msg, c.Problems)
				}
			}
			for _, p := range c.Problems {
				if p.File != "resolv.conf" {
					t.Errorf("problem file = %q", p.File)
				}
			}
		})
	}
}

func TestLongLine(t *testing.T) {
	in := "nameserver 192.0.2.1\n" + strings.Repeat("x", 3*maxLine) + "\nnameserver 192.0.2.2\n"
	c, err := Parse(strings.NewReader(in), "r")
	if err != nil {
		t.Fatal(err)
	}
	if c.Lines != 3 || len(c.Used()) != 2 {
		t.Errorf("lines=%d used=%v", c.Lines, c.Used())
	}
	if !hasProblem(c, 2, Error, "longer than") {
		t.Errorf("long line not reported: %v", c.Problems)
	}
}

func TestUsedSkipsIgnored(t *testing.T) {
	c := &Config{Nameservers: []Nameserver{
		{Addr: netip.MustParseAddr("192.0.2.1"), Line: 1},
		{Addr: netip.MustParseAddr("192.0.2.9"), Line: 9, Ignored: true},
	}}
	if u := c.Used(); len(u) != 1 || u[0].Line != 1 {
		t.Errorf("Used() = %v", u)
	}
}

func FuzzParse(f *testing.F) {
	golden.AddCorpus(f, "testdata/corpus/*.conf")
	f.Add([]byte("nameserver\noptions ndots: timeout:x\n\tsearch\nsortlist /\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data), "fuzz")
		if err != nil {
			t.Fatalf("Parse of in-memory data returned %v", err)
		}
		for _, p := range c.Problems {
			if p.Line < 1 || p.Line > c.Lines {
				t.Fatalf("problem on line %d of %d lines", p.Line, c.Lines)
			}
		}
		if len(c.Used()) > MaxNameservers {
			t.Fatalf("%d nameservers used", len(c.Used()))
		}
	})
}
