package sockdiag

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openports/openports/internal/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

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
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	golden := filepath.Join("testdata", "dump.golden.json")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("decoded dumps differ from %s (go test -update rewrites it):\n%s", golden, out)
	}
}
