package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/openports/openports/internal/diff"
	"github.com/openports/openports/internal/hostcheck"
	"github.com/openports/openports/internal/report"
)

// CSV output (RFC 4180: CRLF line ends, quoted where needed) has stable
// columns, documented in docs/csv.md: machine values (exposure classes,
// severities) and, in the note columns, the texts of the chosen language.
// Outside text is escaped as everywhere else, so no control byte reaches
// a spreadsheet or a terminal.

func init() {
	Checks.Register(FormatCSV, writeCheckCSV)
	Diffs.Register(FormatCSV, writeDiffCSV)
}

// ReportCSVColumns are the columns of list, analyze and check's ports.
var ReportCSVColumns = []string{"netns", "proto", "address", "port", "ip", "exposure", "interface", "processes", "users", "service", "severity", "owner_state", "note"}

func writeCSV(w io.Writer, header []string, rows func(emit func(...string) error) error, what string) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	emit := func(cells ...string) error { return cw.Write(cells) }
	if err := emit(header...); err != nil {
		return fmt.Errorf("write %s as csv: %w", what, err)
	}
	if err := rows(emit); err != nil {
		return fmt.Errorf("write %s as csv: %w", what, err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write %s as csv: %w", what, err)
	}
	return nil
}

func writeReportCSV(w io.Writer, r *report.Report, o Options) error {
	tx := newTexts(o.Lang, o.Knowledge).forReport(r)
	return writeCSV(w, ReportCSVColumns, func(emit func(...string) error) error {
		return reportCSVRows(tx, r, emit)
	}, "report")
}

func reportCSVRows(tx texts, r *report.Report, emit func(...string) error) error {
	for _, row := range r.Rows {
		netns := ""
		if row.NetNS != 0 {
			netns = strconv.FormatUint(row.NetNS, 10)
		}
		if err := emit(netns, string(row.Proto), Escape(row.Address), strconv.Itoa(int(row.Port)), string(row.Reach),
			string(row.Exposure), Escape(row.Interface), Processes(row), Users(row), Escape(row.Service),
			row.Severity.String(), string(row.OwnerState), noteText(tx, row)); err != nil {
			return err
		}
	}
	return nil
}

// CheckCSVColumns are the columns of check: one row per finding, then one
// per port line (check "ports", with the report's columns after).
var CheckCSVColumns = append([]string{"check", "verdict", "subject", "message", "reason", "hint"}, ReportCSVColumns...)

func writeCheckCSV(w io.Writer, res *hostcheck.Result, o Options) error {
	tx := newTexts(o.Lang, o.Knowledge)
	blank := make([]string, len(ReportCSVColumns))
	return writeCSV(w, CheckCSVColumns, func(emit func(...string) error) error {
		for _, c := range res.Checks {
			for _, f := range c.Findings {
				message, reason, hint := tx.findingTexts(f)
				if err := emit(append([]string{c.Name, string(f.Verdict), Escape(f.Subject), message, reason, hint}, blank...)...); err != nil {
					return err
				}
			}
			if c.Ports == nil {
				continue
			}
			err := reportCSVRows(tx.forReport(c.Ports), c.Ports, func(cells ...string) error {
				return emit(append([]string{c.Name, "", "", "", "", ""}, cells...)...)
			})
			if err != nil {
				return err
			}
		}
		return nil
	}, "check result")
}

// DiffCSVColumns are the columns of diff: one row per change, before and
// after side by side.
var DiffCSVColumns = []string{"change", "netns", "proto", "local", "remote", "fields", "exposure_before", "exposure_after", "processes_before", "processes_after", "users_before", "users_after", "ephemeral"}

func writeDiffCSV(w io.Writer, r *diff.Result, o Options) error {
	tx := newTexts(o.Lang, o.Knowledge)
	return writeCSV(w, DiffCSVColumns, func(emit func(...string) error) error {
		for _, c := range r.Changes {
			var eb, ea, pb, pa, ub, ua string
			eph := false
			if s := c.Before; s != nil {
				eb, pb, ub, eph = string(s.Exposure), ownersText(tx, s), userText(s), s.Ephemeral
			}
			if s := c.After; s != nil {
				ea, pa, ua, eph = string(s.Exposure), ownersText(tx, s), userText(s), eph || s.Ephemeral
			}
			netns, remote := "", ""
			if c.Key.NetNS != 0 {
				netns = strconv.FormatUint(c.Key.NetNS, 10)
			}
			if c.Key.Remote.IsValid() {
				remote = c.Key.Remote.String()
			}
			if err := emit(string(c.Kind), netns, string(c.Key.Proto), Escape(diff.AddrText(c.Key.Local, c.Key.LocalText)), remote,
				strings.Join(c.Fields, " "), eb, ea, pb, pa, ub, ua, strconv.FormatBool(eph)); err != nil {
				return err
			}
		}
		return nil
	}, "diff")
}
