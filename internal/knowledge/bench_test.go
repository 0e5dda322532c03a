package knowledge

import (
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

// BenchmarkIdentify measures one identification of each kind: an exact
// process name, a relay resolved by port, a truncated name and an unknown.
func BenchmarkIdentify(b *testing.B) {
	base := mustLoad(b)
	cases := []struct {
		name  string
		proc  string
		proto snapshot.Proto
		port  uint16
	}{
		{"process", "sshd", snapshot.TCP, 22},
		{"relay", "inetd", snapshot.UDP, 69},
		{"truncated", "prometheus-node", snapshot.TCP, 9100},
		{"unknown", "Main", snapshot.TCP, 8084},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				base.Identify(c.proc, c.proto, c.port, "linux")
			}
		})
	}
}

// BenchmarkParse measures parsing and validating data/*.yaml (read into
// memory first), which go generate and the tests do.
func BenchmarkParse(b *testing.B) {
	fsys := yamlData(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(fsys); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad measures decoding the embedded generated form, which Load
// does once per process.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode(generated); err != nil {
			b.Fatal(err)
		}
	}
}
