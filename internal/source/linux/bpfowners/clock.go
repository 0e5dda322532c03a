package bpfowners

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// nsPerSec is NSEC_PER_SEC.
const nsPerSec = 1_000_000_000

// defaultHZ is USER_HZ on every Linux architecture Go supports, used when the
// auxiliary vector does not say.
const defaultHZ = 100

// ticks converts a task's start_boottime (ns) into the start time that
// /proc/PID/stat shows (field 22): the reader's time-namespace offset added,
// then divided by NSEC_PER_SEC/hz as the kernel's nsec_to_clock_t does.
// hz must divide NSEC_PER_SEC (it does for every USER_HZ Linux uses); a
// result below zero is clamped to 0.
func ticks(ns uint64, offsetNS int64, hz uint64) uint64 {
	if hz == 0 || nsPerSec%hz != 0 {
		hz = defaultHZ
	}
	v := ns
	switch {
	case offsetNS >= 0:
		if math.MaxUint64-v < uint64(offsetNS) {
			v = math.MaxUint64
		} else {
			v += uint64(offsetNS)
		}
	case uint64(-offsetNS) > v:
		v = 0
	default:
		v -= uint64(-offsetNS)
	}
	return v / (nsPerSec / hz)
}

// errTimens is wrapped by parseBoottimeOffset errors.
var errTimens = errors.New("malformed timens_offsets")

// parseBoottimeOffset returns the boot-time offset, in nanoseconds, from the
// text of /proc/PID/timens_offsets ("monotonic SECS NSECS\nboottime SECS
// NSECS\n", clocks by name or by number: CLOCK_BOOTTIME is 7). No boottime
// line means no offset.
func parseBoottimeOffset(b []byte) (int64, error) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return 0, fmt.Errorf("%w: line %q: want CLOCK SECS NSECS", errTimens, line)
		}
		if name := string(f[0]); name != "boottime" && name != "7" {
			continue
		}
		sec, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: seconds %q", errTimens, f[1])
		}
		nsec, err := strconv.ParseInt(string(f[2]), 10, 64)
		if err != nil || nsec < 0 || nsec >= nsPerSec {
			return 0, fmt.Errorf("%w: nanoseconds %q", errTimens, f[2])
		}
		if sec > math.MaxInt64/nsPerSec-1 || sec < math.MinInt64/nsPerSec+1 {
			return 0, fmt.Errorf("%w: seconds %d out of range", errTimens, sec)
		}
		return sec*nsPerSec + nsec, nil
	}
	return 0, nil
}
