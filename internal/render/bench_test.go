package render

import (
	"io"
	"net/netip"
	"os"
	"testing"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

func benchReport(b *testing.B) *report.Report {
	f, err := os.Open("../analysis/testdata/host.snapshot.json")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s, err := snapshot.Read(f)
	if err != nil {
		b.Fatal(err)
	}
	// Fifty copies of the fixture's sockets, on distinct ports.
	base := s.Sockets
	s.Sockets = nil
	for i := 0; i < 50; i++ {
		for _, so := range base {
			so.Local = netip.AddrPortFrom(so.Local.Addr(), so.Local.Port()+uint16(i*100))
			s.Sockets = append(s.Sockets, so)
		}
	}
	return analysis.Build(s, analysis.Options{All: true})
}

func BenchmarkRender(b *testing.B) {
	r := benchReport(b)
	for _, name := range Reports.Formats() {
		write, err := Reports.Writer(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := write(io.Discard, r, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderSmallHost renders the report of a real snapshot of the
// repository's small benchmark host, as openports list prints it.
func BenchmarkRenderSmallHost(b *testing.B) {
	s, err := snapshot.ReadFile("../analysis/testdata/bench-small.snapshot.json")
	if err != nil {
		b.Fatal(err)
	}
	r := analysis.Build(s, analysis.Options{})
	write, err := Reports.Writer(FormatTable)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := write(io.Discard, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
