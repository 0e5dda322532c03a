package nft

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openports/openports/internal/firewall"
)

// TestConsistent: a read is returned only when the generation before and
// after it agree and no dump was interrupted; a ruleset that keeps
// changing is an error after readTries reads, never a mixed ruleset.
func TestConsistent(t *testing.T) {
	cases := []struct {
		name    string
		gens    []uint32 // successive answers of gen
		errs    []error  // successive errors of read (nil: a ruleset)
		wantOK  bool
		wantErr string
		reads   int
	}{
		{name: "stable", gens: []uint32{7, 7}, errs: []error{nil}, wantOK: true, reads: 1},
		{name: "changed once", gens: []uint32{7, 8, 8, 8}, errs: []error{nil, nil}, wantOK: true, reads: 2},
		{name: "always changing", gens: []uint32{1, 2, 3, 4, 5, 6}, errs: []error{nil, nil, nil}, wantErr: "changed during each of 3 reads", reads: 3},
		{name: "interrupted then stable", gens: []uint32{7, 7, 7, 7}, errs: []error{fmt.Errorf("dump chains: %w", errDumpInterrupted), nil}, wantOK: true, reads: 2},
		{name: "always interrupted", gens: []uint32{7, 7, 7, 7, 7, 7}, errs: []error{errDumpInterrupted, errDumpInterrupted, errDumpInterrupted}, wantErr: "changed during each", reads: 3},
		{name: "read error", gens: []uint32{7, 7}, errs: []error{errors.New("boom")}, wantErr: "boom", reads: 1},
		{name: "changed across the wrap", gens: []uint32{0xffffffff, 0, 0, 0}, errs: []error{nil, nil}, wantOK: true, reads: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gi, ri := 0, 0
			gen := func() (uint32, error) {
				if gi >= len(tc.gens) {
					return tc.gens[len(tc.gens)-1], nil
				}
				gi++
				return tc.gens[gi-1], nil
			}
			read := func() (*firewall.Ruleset, error) {
				ri++
				if ri > len(tc.errs) || tc.errs[ri-1] != nil {
					if ri > len(tc.errs) {
						return &firewall.Ruleset{}, nil
					}
					return nil, tc.errs[ri-1]
				}
				return &firewall.Ruleset{Backends: []string{fmt.Sprint(ri)}}, nil
			}
			rs, err := consistent(gen, read, readTries)
			if ri != tc.reads {
				t.Errorf("%d reads, want %d", ri, tc.reads)
			}
			if tc.wantOK {
				if err != nil || rs == nil || rs.Backends[0] != fmt.Sprint(tc.reads) {
					t.Fatalf("got %v, %v; want the ruleset of read %d", rs, err, tc.reads)
				}
				return
			}
			if rs != nil || err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, %v; want an error with %q", rs, err, tc.wantErr)
			}
		})
	}
}
