// Package score_test scores the parsers against answer keys: for every
// saved tool output with a key in testdata/, the listening sockets and the
// owners `openports analyze` finds are compared with the ones a person read
// from the output, and precision and recall are printed per format.
package score_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/openports/openports/internal/parse/join"
	"github.com/openports/openports/internal/parse/multi"
	"github.com/openports/openports/internal/snapshot"
)

// A key file NAME.key answers for ../*/testdata/NAME.txt: one line per
// listening or unconnected socket, "PROTO ADDRESS PORT PIDS" — the address
// as netip writes it (0.0.0.0 and :: for wildcards; a name such as
// localhost or a host name as printed),
// PORT a number or "TEXT?" for a port the output does not let one read,
// PIDS comma-separated, or "-" when the output shows no owner.

// sock is one key line without its owners.
type sock struct{ proto, addr, port string }

type tally struct{ truePos, predicted, expected int }

func (t tally) precision() float64 { return ratio(t.truePos, t.predicted) }
func (t tally) recall() float64    { return ratio(t.truePos, t.expected) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func TestCorpusScore(t *testing.T) {
	keys, err := filepath.Glob(filepath.Join("testdata", "*.key"))
	if err != nil || len(keys) == 0 {
		t.Fatalf("no answer keys: %v", err)
	}
	listeners, owners := map[string]*tally{}, map[string]*tally{}
	for _, key := range keys {
		name := strings.TrimSuffix(filepath.Base(key), ".key")
		inputs, _ := filepath.Glob(filepath.Join("..", "*", "testdata", name+".txt"))
		if len(inputs) != 1 {
			t.Errorf("%s: %d inputs named %s.txt, want 1", key, len(inputs), name)
			continue
		}
		wantSocks, wantOwners := readKey(t, key)
		format, gotSocks, gotOwners := analyze(t, inputs[0])
		l, o := tallyOf(listeners, format), tallyOf(owners, format)
		score(l, wantSocks, gotSocks)
		score(o, wantOwners, gotOwners)
		for k, n := range wantSocks {
			if gotSocks[k] < n {
				t.Errorf("%s: missed listener %v", name, k)
			}
		}
		for k, n := range gotSocks {
			if wantSocks[k] < n {
				t.Errorf("%s: listener %v is not in the key", name, k)
			}
		}
		for k := range wantOwners {
			if gotOwners[k] == 0 {
				t.Errorf("%s: missed owner %s", name, k)
			}
		}
		for k := range gotOwners {
			if wantOwners[k] == 0 {
				t.Errorf("%s: owner %s is not in the key", name, k)
			}
		}
	}
	formats := slices.Sorted(func(yield func(string) bool) {
		for f := range listeners {
			if !yield(f) {
				return
			}
		}
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%-34s %9s %9s %9s %9s\n", "format", "lst prec", "lst rec", "own prec", "own rec")
	for _, f := range formats {
		l, o := listeners[f], owners[f]
		fmt.Fprintf(&b, "%-34s %8.1f%% %8.1f%% %8.1f%% %8.1f%%\n", f, 100*l.precision(), 100*l.recall(), 100*o.precision(), 100*o.recall())
	}
	t.Logf("scores against %d answer keys:\n%s", len(keys), b.String())
}

func tallyOf(m map[string]*tally, format string) *tally {
	if m[format] == nil {
		m[format] = &tally{}
	}
	return m[format]
}

func score[K comparable](t *tally, want, got map[K]int) {
	for k, n := range got {
		t.predicted += n
		t.truePos += min(n, want[k])
	}
	for _, n := range want {
		t.expected += n
	}
}

func readKey(t *testing.T, path string) (map[sock]int, map[string]int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	socks, owners := map[sock]int{}, map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 4 {
			t.Fatalf("%s:%d: want PROTO ADDRESS PORT PIDS, got %q", path, n, line)
		}
		s := sock{fields[0], fields[1], fields[2]}
		socks[s]++
		if fields[3] != "-" {
			for _, pid := range strings.Split(fields[3], ",") {
				owners[ownerKey(s, pid)]++
			}
		}
	}
	return socks, owners
}

func ownerKey(s sock, pid string) string { return s.proto + " " + s.addr + " " + s.port + " " + pid }

// analyze reads path as `openports analyze` does: parts detected and
// parsed, joined, unbound and connected sockets left out.
func analyze(t *testing.T, path string) (format string, socks map[sock]int, owners map[string]int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := multi.Parse(f, path, multi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var parts []join.Part
	var formats []string
	for _, s := range in.Segments {
		if s.Result == nil || s.Result.Snapshot == nil {
			continue
		}
		parts = append(parts, join.Part{Format: s.Format, Label: path, Snapshot: s.Result.Snapshot})
		if !slices.Contains(formats, s.Format) {
			formats = append(formats, s.Format)
		}
	}
	slices.Sort(formats)
	res := join.Join(parts)
	join.KeepListening(res.Snapshot)
	socks, owners = map[sock]int{}, map[string]int{}
	for _, s := range res.Snapshot.Sockets {
		k := sockOf(&s)
		socks[k]++
		for _, o := range s.Owners {
			owners[ownerKey(k, strconv.Itoa(o.PID))]++
		}
	}
	return strings.Join(formats, "+"), socks, owners
}

func sockOf(s *snapshot.Socket) sock {
	// A name the tool printed ("localhost", a host name) is keyed as
	// printed; an address as netip writes it.
	addr := s.LocalText
	if a := s.Local.Addr(); a.IsValid() && addr == "" {
		addr = a.String()
	}
	port := strconv.Itoa(int(s.Local.Port()))
	if s.PortText != "" {
		port = s.PortText + "?"
	}
	return sock{string(s.Proto), addr, port}
}
