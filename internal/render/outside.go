package render

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/report"
)

var outsideTexts = map[string]map[string]string{
	"outside.title":                  {"en": "Outside view (%[1]s, %[2]s):", "ja": "外からの見え方 (%[1]s, %[2]s):"},
	"outside.expected":               {"en": "open, listening here", "ja": "開いている (ここで待ち受け中)"},
	"outside.listening-but-filtered": {"en": "listening here, but the scan did not get in", "ja": "ここで待ち受け中だがスキャンは到達せず"},
	"outside.open-published":         {"en": "open, published by DNAT to %[1]s", "ja": "開いている (DNAT で %[1]s へ公開)"},
	"outside.listening-unanswered":   {"en": "listening here, no answer to the scan (a filter, or a service that ignores the probe)", "ja": "ここで待ち受け中、スキャンへの応答なし (フィルタか、プローブを無視するサービス)"},
	"outside.open-without-socket":    {"en": "open, but nothing here listens (DNAT, or another host behind this address)", "ja": "開いているがここでは何も待ち受けていません (DNAT か、このアドレスの背後の別ホスト)"},
	"outside.open-not-in-policy":     {"en": "open, and not in the policy", "ja": "開いていてポリシーにありません"},
	"outside.not-this-host":          {"en": "open on an address that is not this host's: not joined", "ja": "このホストのものではないアドレスで開いています (照合せず)"},
	"outside.address-not-known":      {"en": "open; this host's addresses are unknown, so not joined", "ja": "開いています (このホストのアドレスが不明なため照合せず)"},
	"outside.not-scanned":            {"en": "%[1]d reachable %[2]s not probed by the scan", "ja": "スキャンが調べていない到達可能な行 %[1]d 個"},
	"outside.firewall":               {"en": "firewall %[1]s", "ja": "ファイアウォール %[1]s"},
}

func init() { maps.Copy(catalogue, outsideTexts) }

func joinText(tx texts, p report.OutsidePort) string {
	if p.Join == report.OutsidePublished {
		return tx.get("outside."+p.Join, Escape(p.PublishedTo))
	}
	return tx.get("outside." + p.Join)
}

// outsideSection lists the joined scan under the table.
func outsideSection(tx texts, r *report.Report) string {
	o := r.Outside
	if o == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", tx.get("outside.title", Escape(o.Scanner), Escape(o.Started)))
	cells := [][]string{}
	for _, p := range o.Ports {
		var local []string
		if p.Service != "" {
			local = append(local, Escape(p.Service))
		}
		if len(p.Processes) > 0 {
			var pids []string
			for _, pid := range p.Processes {
				pids = append(pids, strconv.Itoa(pid))
			}
			local = append(local, "PID "+strings.Join(pids, ","))
		}
		if p.Firewall != "" {
			local = append(local, tx.get("outside.firewall", p.Firewall))
		}
		cells = append(cells, []string{Escape(p.Address), fmt.Sprintf("%s/%d", p.Proto, p.Port), Escape(p.State),
			joinText(tx, p), strings.Join(local, ", ")})
	}
	widths := make([]int, 5)
	for _, c := range cells {
		for i, s := range c {
			widths[i] = max(widths[i], cellWidth(s))
		}
	}
	for _, c := range cells {
		b.WriteString(" ")
		for i, s := range c {
			b.WriteString(" " + s)
			if i < len(c)-1 && c[len(c)-1] != "" {
				b.WriteString(strings.Repeat(" ", widths[i]-cellWidth(s)))
			}
		}
		b.WriteString("\n")
	}
	if o.NotScanned > 0 {
		fmt.Fprintf(&b, "  %s\n", tx.get("outside.not-scanned", o.NotScanned, plural(o.NotScanned, "row")))
	}
	return b.String()
}
