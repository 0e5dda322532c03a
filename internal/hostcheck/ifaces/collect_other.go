//go:build !linux

package ifaces

import (
	"bytes"
	"context"
	"fmt"

	"github.com/openports/openports/internal/hostcheck/cmdrun"
)

// Collect lists the interfaces by running `ifconfig -a` and parsing its
// output. Lines the parser does not understand make it fail with the first
// of them, so that a changed format is not silently misread.
func Collect(ctx context.Context) ([]Interface, error) {
	out, err := cmdrun.Output(ctx, "ifconfig", "-a")
	if err != nil {
		return nil, err
	}
	res, err := ParseIfconfig(bytes.NewReader(out), "ifconfig -a")
	if err != nil {
		return nil, err
	}
	if len(res.Problems) > 0 {
		return res.Interfaces, fmt.Errorf("parse ifconfig -a: %w (and %d more)", res.Problems[0], len(res.Problems)-1)
	}
	Sort(res.Interfaces)
	return res.Interfaces, nil
}
