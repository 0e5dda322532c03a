package ifaces

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/openports/openports/internal/source/tool"
)

// ifconfigRunner runs `ifconfig -a` where there is no netlink: with a
// 10-second deadline and at most 8 MiB of output, so that a hung or chatty
// tool cannot hang or flood the check.
var ifconfigRunner tool.Runner = tool.Exec{Timeout: 10 * time.Second, MaxOutput: 8 << 20}

// collectIfconfig runs `ifconfig -a` with r and parses its output. Lines the
// parser does not understand make it fail with the first of them, so that a
// changed format is not silently misread.
func collectIfconfig(ctx context.Context, r tool.Runner) ([]Interface, error) {
	out, err := r.Run(ctx, "ifconfig", "-a")
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
