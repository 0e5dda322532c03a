package main

import (
	"slices"
	"time"
)

// Run is one timed run of a tool.
type Run struct {
	Wall time.Duration
	// CPU is user plus system time of the tool's process and its waited
	// children.
	CPU time.Duration
	// MaxRSS is the peak resident set size in bytes (wait4 ru_maxrss).
	MaxRSS int64
	// Exit is the exit code.
	Exit int
}

// median returns the median of d (the mean of the middle two for an even
// count), 0 for none.
func median(d []float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// walls returns the wall times of runs in seconds.
func walls(runs []Run) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = r.Wall.Seconds()
	}
	return out
}

// cpus returns the CPU times of runs in seconds.
func cpus(runs []Run) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = r.CPU.Seconds()
	}
	return out
}

// pairedRatio is the median over rounds of a's wall time divided by b's in
// the same round: drift of the machine between rounds cancels out. Rounds
// missing from either side are skipped.
func pairedRatio(a, b []Run) float64 {
	var r []float64
	for i := range min(len(a), len(b)) {
		if b[i].Wall > 0 {
			r = append(r, a[i].Wall.Seconds()/b[i].Wall.Seconds())
		}
	}
	return median(r)
}

// fasterPerRound returns, round by round, the faster run of a and b.
func fasterPerRound(a, b []Run) []Run {
	out := make([]Run, min(len(a), len(b)))
	for i := range out {
		out[i] = a[i]
		if b[i].Wall < a[i].Wall {
			out[i] = b[i]
		}
	}
	return out
}

// pairedDifference is the median over rounds of a's wall time minus b's.
func pairedDifference(a, b []Run) time.Duration {
	var d []float64
	for i := range min(len(a), len(b)) {
		d = append(d, float64(a[i].Wall-b[i].Wall))
	}
	return time.Duration(median(d))
}

// peakRSS is the largest MaxRSS of runs.
func peakRSS(runs []Run) int64 {
	var m int64
	for _, r := range runs {
		m = max(m, r.MaxRSS)
	}
	return m
}

// rotation returns the order of k tools in round r: every tool once,
// starting with tool r mod k, so that the runs of any two tools alternate
// over the rounds and none always runs first or after the same neighbour.
func rotation(k, r int) []int {
	order := make([]int, k)
	for i := range k {
		order[i] = (r + i) % k
	}
	return order
}
