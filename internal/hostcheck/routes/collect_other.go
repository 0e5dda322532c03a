//go:build !linux

package routes

import (
	"bytes"
	"context"
	"fmt"

	"github.com/openports/openports/internal/hostcheck/cmdrun"
)

// Collect reads the routing table by running `netstat -rn` and parsing its
// output; a line the parser does not understand makes it fail with that
// line, so that a changed format is not silently misread.
func Collect(ctx context.Context) ([]Route, error) {
	out, err := cmdrun.Output(ctx, "netstat", "-rn")
	if err != nil {
		return nil, err
	}
	res, err := ParseNetstat(bytes.NewReader(out), "netstat -rn")
	if err != nil {
		return nil, err
	}
	if len(res.Problems) > 0 {
		return res.Routes, fmt.Errorf("parse netstat -rn: %w (and %d more)", res.Problems[0], len(res.Problems)-1)
	}
	Sort(res.Routes)
	return res.Routes, nil
}
