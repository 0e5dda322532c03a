package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/report"
)

// outsideIDs are the texts of report.OutsidePort.Join.
var outsideIDs = map[string]MsgID{
	report.OutsideExpected: MsgOutsideExpected, report.OutsidePublished: MsgOutsidePublished,
	report.OutsideFiltered: MsgOutsideFiltered, report.OutsideUnanswered: MsgOutsideUnanswered,
	report.OutsideNoSocket: MsgOutsideNoSocket, report.OutsideNotInPolicy: MsgOutsideNotInPolicy,
	report.OutsideNotThisHost: MsgOutsideNotThisHost, report.OutsideAddressUnknown: MsgOutsideAddressUnknown,
}

func joinText(tx texts, p report.OutsidePort) string {
	id, ok := outsideIDs[p.Join]
	if !ok {
		return short(p.Join)
	}
	if p.Join == report.OutsidePublished {
		return tx.get(id, short(p.PublishedTo))
	}
	return tx.get(id)
}

// outsideSection lists the joined scan under the table.
func outsideSection(tx texts, r *report.Report) string {
	o := r.Outside
	if o == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", tx.get(MsgOutsideTitle, short(o.Scanner), short(o.Started)))
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
			local = append(local, tx.get(MsgOutsideFirewall, Escape(string(p.Firewall))))
		}
		cells = append(cells, []string{short(p.Address), fmt.Sprintf("%s/%d", Escape(p.Proto), p.Port), short(p.State),
			joinText(tx, p), capText(strings.Join(local, ", "))})
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
		fmt.Fprintf(&b, "  %s\n", tx.get(MsgOutsideNotScanned, o.NotScanned))
	}
	return b.String()
}
