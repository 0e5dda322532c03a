package main

import (
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 || in[1] != 1 {
		t.Errorf("median reordered its argument: %v", in)
	}
}

func runsOf(ms ...int) []Run {
	var r []Run
	for _, m := range ms {
		r = append(r, Run{Wall: time.Duration(m) * time.Millisecond, MaxRSS: int64(m) << 20})
	}
	return r
}

func TestPairedRatio(t *testing.T) {
	// The machine slows down over the rounds; the ratio of the pairs
	// stays 2 although the medians of each side mix fast and slow rounds.
	a := runsOf(20, 40, 80, 160, 320)
	b := runsOf(10, 20, 40, 80, 160)
	if got := pairedRatio(a, b); got != 2 {
		t.Errorf("pairedRatio = %v, want 2", got)
	}
	if got := pairedRatio(runsOf(5), nil); got != 0 {
		t.Errorf("pairedRatio without pairs = %v, want 0", got)
	}
	if got := peakRSS(a); got != 320<<20 {
		t.Errorf("peakRSS = %d, want %d", got, 320<<20)
	}
}

// TestRotationAlternates checks that every round runs every tool once and
// that, over consecutive rounds, no tool always runs before another.
func TestRotationAlternates(t *testing.T) {
	for k := 1; k <= 9; k++ {
		before := map[[2]int]int{}
		for r := range k {
			order := rotation(k, r)
			seen := map[int]bool{}
			for pos, i := range order {
				if i < 0 || i >= k || seen[i] {
					t.Fatalf("k=%d round %d: order %v is not a permutation", k, r, order)
				}
				seen[i] = true
				for _, j := range order[pos+1:] {
					before[[2]int{i, j}]++
				}
			}
			if order[0] != r%k {
				t.Errorf("k=%d round %d starts with %d", k, r, order[0])
			}
		}
		for a := range k {
			for b := range k {
				if a != b && k > 1 && before[[2]int{a, b}] == 0 {
					t.Errorf("k=%d: tool %d never runs before tool %d", k, a, b)
				}
			}
		}
	}
}

func TestFasterPerRoundAndDifference(t *testing.T) {
	proc := runsOf(10, 50, 12)
	ebpf := runsOf(30, 20, 30, 99) // one round more: ignored
	best := fasterPerRound(proc, ebpf)
	var walls []time.Duration
	for _, r := range best {
		walls = append(walls, r.Wall/time.Millisecond)
	}
	if len(walls) != 3 || walls[0] != 10 || walls[1] != 20 || walls[2] != 12 {
		t.Errorf("fasterPerRound = %v ms, want [10 20 12]", walls)
	}
	help := runsOf(5, 9, 6)
	empty := runsOf(2, 3, 4)
	if got := pairedDifference(help, empty); got != 3*time.Millisecond {
		t.Errorf("pairedDifference = %v, want 3ms (median of 3, 6, 2)", got)
	}
}
