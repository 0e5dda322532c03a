package multi_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openports/openports/internal/parse/join"
	"github.com/openports/openports/internal/parse/multi"
)

// The size and time targets of issue 13 for the parsing stage of
// `openports analyze` (read, split, parse, join), on generated inputs of
// the shapes scripts/bench-analyze.sh times on the whole binary:
//
//	go test ./internal/parse/multi -run '^$' -bench Analyze -benchtime 1x
//
// Each reports its peak heap (peak-heap-MiB, sampled while it runs) and,
// on Linux, the process's peak RSS (VmHWM; it includes the go test
// process, so it is an upper bound). Targets: ss-1m ≤ 10 s and ≤ 100 MiB,
// random ≤ 20 s and ≤ 100 MiB, alternate ≤ 5 s. The inputs are generated
// (not fixtures): they test scale, not formats.

func BenchmarkAnalyzeSS1M(b *testing.B) {
	benchAnalyze(b, "ss-1m", func(w *bufio.Writer) {
		w.WriteString("State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n")
		for i := range 50 {
			fmt.Fprintf(w, "LISTEN     0      128          0.0.0.0:%d        0.0.0.0:*     users:((\"nginx\",pid=%d,fd=6))\n", 8000+i, 1000+i)
		}
		for i := range 1000000 {
			fmt.Fprintf(w, "ESTAB      0      0        10.0.%d.%d:%d    192.0.2.%d:%d   users:((\"nginx\",pid=%d,fd=%d))\n",
				i/65536%256, i/256%256, 8000+i%50, i%250, 1024+i%60000, 1000+i%50, 10+i%1000)
		}
	}, 50)
}

func BenchmarkAnalyzeRandom(b *testing.B) {
	benchAnalyze(b, "random", func(w *bufio.Writer) {
		rng := rand.New(rand.NewPCG(13, 13))
		raw := make([]byte, 57) // 76 base64 characters a line
		for range 150000000 / len(raw) {
			for i := range raw {
				raw[i] = byte(rng.Uint32())
			}
			w.WriteString(base64.StdEncoding.EncodeToString(raw))
			w.WriteByte('\n')
		}
	}, 0)
}

func BenchmarkAnalyzeAlternate(b *testing.B) {
	benchAnalyze(b, "alternate", func(w *bufio.Writer) {
		for i := range 100000 {
			a, c, p := i/250%250, i%250, 1024+i%60000
			fmt.Fprintf(w, "tcp        0      0  10.%d.%d.1.%d          *.*                    LISTEN\n", a, c, p)
			fmt.Fprintf(w, "root     sshd       %d    3* internet stream tcp c%07x 10.%d.%d.1:%d\n", 1000+i%30000, i, a, c, p)
		}
	}, 100000)
}

// benchAnalyze writes the input with gen to a file once, then reads it
// as analyze does and checks that the join lists want sockets, all owned.
func benchAnalyze(b *testing.B, name string, gen func(*bufio.Writer), want int) {
	path := filepath.Join(b.TempDir(), name+".txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	gen(w)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	runtime.GC()
	peak := peakHeap()
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		in, err := multi.Parse(f, name, multi.Options{ListeningOnly: true})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		var parts []join.Part
		for _, s := range in.Segments {
			if s.Result != nil && s.Result.Snapshot != nil {
				join.KeepListening(s.Result.Snapshot)
				parts = append(parts, join.Part{Format: s.Format, Label: s.Format, Snapshot: s.Result.Snapshot})
			}
		}
		got := join.Join(parts).Snapshot.Sockets
		b.StopTimer()
		if len(got) != want {
			b.Fatalf("%d sockets, want %d", len(got), want)
		}
		for _, s := range got {
			if len(s.Owners) == 0 {
				b.Fatalf("socket without owner: %+v", s)
			}
		}
		b.StartTimer()
	}
	b.StopTimer()
	// CPU time (user + system, every thread, the sampler's too) is the
	// figure to compare on a loaded machine; wall time is ns/op.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(peak.stop())/(1<<20), "peak-heap-MiB")
	if rss := vmHWM(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapPeak samples the heap in use until stopped.
type heapPeak struct {
	done chan struct{}
	max  chan uint64
}

func peakHeap() heapPeak {
	p := heapPeak{make(chan struct{}), make(chan uint64)}
	go func() {
		var peak uint64
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-p.done:
				p.max <- peak
				return
			default:
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return p
}

func (p heapPeak) stop() uint64 {
	close(p.done)
	return <-p.max
}

// vmHWM is the process's peak resident set (Linux), or 0.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
