package sockdiag

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/golden"
	"github.com/openports/openports/internal/snapshot"
)

// TestGoldenDump decodes dumps recorded on a real kernel (by the live test
// with -capture) and compares them with testdata/dump.golden.json. The
// recordings are little-endian, so the decoder is told so: the test runs
// on any host.
func TestGoldenDump(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "dump", "*.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded dumps in testdata/dump; record them with go test -run TestLiveNamespace -capture")
	}
	got := map[string][]snapshot.Socket{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		proto := snapshot.Proto(name[:strings.IndexByte(name, '-')])
		socks, err := decodeStream(nil, b, proto, binary.LittleEndian)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got[strings.TrimSuffix(name, ".bin")] = socks
	}
	golden.CheckJSON(t, filepath.Join("testdata", "dump.golden.json"), got)
}
