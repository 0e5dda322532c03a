package ss

import (
	"bytes"
	"strings"

	"github.com/openports/openports/internal/parse"
)

// Detect scores how likely sample is ss output: its header ("Netid State"
// or "State Recv-Q Send-Q Local Address:Port"), its process column
// users:((...)), and lines whose state is in ss's vocabulary (UNCONN,
// ESTAB) with ADDRESS:PORT columns.
func (Parser) Detect(sample []byte) int {
	score := 0
	rows, foreign := 0, 0
	for _, raw := range bytes.Split(sample, []byte("\n")) {
		line := strings.TrimRight(string(raw), "\r")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch {
		case (f[0] == "Netid" || f[0] == "State") && strings.Contains(line, "Address:Port"):
			score = max(score, 90)
			continue
		case strings.Contains(line, "users:(("):
			score = max(score, 80)
		}
		k := 0
		if inetNetids[f[0]] != "" || otherNetids[f[0]] {
			k = 1
		}
		if k < len(f) && states[f[k]] && k+4 < len(f) && parse.IsDigits(f[k+1]) && parse.IsDigits(f[k+2]) {
			rows++
		} else if f[0] == "Proto" || f[0] == "Active" || f[0] == "COMMAND" || strings.Contains(line, "*.*") {
			foreign++
		}
	}
	if rows > 0 {
		score = max(score, min(75, 50+5*rows))
	}
	if foreign > rows {
		score /= 2
	}
	return score
}
