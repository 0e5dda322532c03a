package routes

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/openports/openports/internal/source/tool"
)

// netstatRunner runs `netstat -rn` where there is no netlink: with a
// 10-second deadline and at most 8 MiB of output, so that a hung or chatty
// tool cannot hang or flood the check.
var netstatRunner tool.Runner = tool.Exec{Timeout: 10 * time.Second, MaxOutput: 8 << 20}

// collectNetstat runs `netstat -rn` with r and parses its output; a line the
// parser does not understand makes it fail with that line, so that a
// changed format is not silently misread.
func collectNetstat(ctx context.Context, r tool.Runner) ([]Route, error) {
	out, err := r.Run(ctx, "netstat", "-rn")
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
