package render

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openports/openports/internal/outfile"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

func init() { Reports.Register(FormatPrometheus, writeReportPrometheus) }

// Prometheus writes a report as per-run gauges in the Prometheus text
// exposition format, for node_exporter's textfile collector (docs/fleet.md).
// Every label value comes from the report; label sets stay bounded: no PIDs,
// and ports in the ephemeral range become "ephemeral" unless EphemeralPorts.
// The metric families are built as client_golang's registry gathers them
// (sorted families, labels and series) and written as expfmt writes the
// text format; a test checks the output byte for byte against expfmt's
// encoding of what expfmt's parser reads from it, hostile label values
// (process names chosen by any user) included. Neither library is linked
// into openports: client_golang's registry and client_model's protobuf
// types would be initialised at every start of every command.
type Prometheus struct {
	// EphemeralPorts keeps the real port of sockets bound in the
	// ephemeral range as a label value.
	EphemeralPorts bool
}

// writeReportPrometheus is -o prometheus.
func writeReportPrometheus(w io.Writer, r *report.Report, o Options) error {
	return Prometheus{EphemeralPorts: o.EphemeralPorts}.Render(w, r)
}

// Render writes the metrics of r to w.
func (p Prometheus) Render(w io.Writer, r *report.Report) error {
	mfs, err := p.metricFamilies(r)
	if err != nil {
		return fmt.Errorf("prometheus metrics: %w", err)
	}
	bw := bufio.NewWriter(w)
	for _, mf := range mfs {
		mf.writeText(bw)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write prometheus metrics: %w", err)
	}
	return nil
}

// WriteTextfile writes the metrics of r to path through the one atomic file
// writer (a temporary file in the same directory, fsynced, renamed over
// path), so that node_exporter never reads half a file. The file is
// world-readable, as node_exporter runs as its own user.
func WriteTextfile(path string, r *report.Report, o Options) error {
	if err := outfile.Write(path, 0o644, func(w io.Writer) error {
		return writeReportPrometheus(w, r, o)
	}); err != nil {
		return fmt.Errorf("write textfile %s: %w", path, err)
	}
	return nil
}

// Label names of openports_listener_info, in order.
var listenerLabels = []string{"proto", "address", "port", "exposure", "risk", "service", "process", "user", "unit", "netns"}

// gaugeVec is one gauge metric family: a value per distinct set of label
// values, as client_golang's GaugeVec keeps them.
type gaugeVec struct {
	name, help string
	labels     []string
	series     map[string]*gaugeSeries
	err        error
}

// gaugeSeries is one series: its label values and its value.
type gaugeSeries struct {
	values []string
	value  float64
}

// with is the series of the label values (WithLabelValues), made at 0.
// Label values must be valid UTF-8, as the registry requires.
func (g *gaugeVec) with(values ...string) *gaugeSeries {
	if len(values) != len(g.labels) {
		panic(fmt.Sprintf("%s: %d label values for %d labels", g.name, len(values), len(g.labels)))
	}
	key := strings.Join(values, "\xff") // never in valid UTF-8
	if s, ok := g.series[key]; ok {
		return s
	}
	for i, v := range values {
		if !utf8.ValidString(v) && g.err == nil {
			g.err = fmt.Errorf("%s: label %s: value %q is not valid UTF-8", g.name, g.labels[i], v)
		}
	}
	s := &gaugeSeries{values: slices.Clone(values)}
	g.series[key] = s
	return s
}

// metricFamily is one gauge family as the registry gathers it: label
// names sorted, and a sample per series, its values in that order, sorted.
type metricFamily struct {
	name, help string
	labels     []string
	samples    []gaugeSeries
}

// family is g gathered; nil when g has no series.
func (g *gaugeVec) family() *metricFamily {
	if len(g.series) == 0 {
		return nil
	}
	order := make([]int, len(g.labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(g.labels[a], g.labels[b]) })
	mf := &metricFamily{name: g.name, help: g.help}
	for _, i := range order {
		mf.labels = append(mf.labels, g.labels[i])
	}
	for _, s := range g.series {
		sorted := gaugeSeries{value: s.value}
		for _, i := range order {
			sorted.values = append(sorted.values, s.values[i])
		}
		mf.samples = append(mf.samples, sorted)
	}
	slices.SortFunc(mf.samples, func(a, b gaugeSeries) int { return slices.Compare(a.values, b.values) })
	return mf
}

// writeText writes mf in the text exposition format, as expfmt does:
// HELP and TYPE lines, then one line per sample.
func (mf *metricFamily) writeText(w *bufio.Writer) {
	w.WriteString("# HELP " + mf.name + " ")
	writeEscaped(w, mf.help, false)
	w.WriteString("\n# TYPE " + mf.name + " gauge\n")
	for _, s := range mf.samples {
		w.WriteString(mf.name)
		for i, l := range mf.labels {
			if i == 0 {
				w.WriteByte('{')
			} else {
				w.WriteByte(',')
			}
			w.WriteString(l + `="`)
			writeEscaped(w, s.values[i], true)
			w.WriteByte('"')
		}
		if len(mf.labels) > 0 {
			w.WriteByte('}')
		}
		w.WriteByte(' ')
		w.Write(strconv.AppendFloat(nil, s.value, 'g', -1, 64))
		w.WriteByte('\n')
	}
}

// writeEscaped writes s escaped as the text format wants HELP texts
// (backslash, newline) and, with quote, label values (and double quote).
func writeEscaped(w *bufio.Writer, s string, quote bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			w.WriteString(`\\`)
		case c == '\n':
			w.WriteString(`\n`)
		case c == '"' && quote:
			w.WriteString(`\"`)
		default:
			w.WriteByte(c)
		}
	}
}

// metricFamilies are the metrics of r, sorted by name, ready to be encoded.
func (p Prometheus) metricFamilies(r *report.Report) ([]*metricFamily, error) {
	var gauges []*gaugeVec
	gauge := func(name, help string, labels ...string) *gaugeVec {
		g := &gaugeVec{name: name, help: help, labels: labels, series: map[string]*gaugeSeries{}}
		gauges = append(gauges, g)
		return g
	}
	info := gauge("openports_listener_info",
		"A socket other machines can reach (with --all or --policy: every listening socket), one series per row of the table: protocol, address, port, exposure, risk, service, process names, users, systemd unit, network namespace. Always 1.",
		listenerLabels...)
	listeners := gauge("openports_listeners", "Rows of the table by exposure and risk.", "exposure", "risk")
	unknown := gauge("openports_unknown_owner_sockets", "Listed sockets whose holders could not all be seen (owner state unknown or partial).")
	complete := gauge("openports_view_complete", "1 when every socket and owner could be seen, 0 when the view is incomplete (see the gaps of -o json).")
	build := gauge("openports_build_info", "The openports that wrote these metrics. Always 1.", "version", "commit")
	machine := gauge("openports_machine_info", "Stable hash of the host's machine id (see docs/json.md). Always 1.", "host", "machine_id")

	for _, row := range r.Rows {
		values := p.listenerValues(r, row)
		info.with(values...).value = 1
		listeners.with(string(row.Exposure), row.Severity.String()).value++
		for _, s := range row.Sockets {
			if s.OwnerState == snapshot.OwnersUnknown || s.OwnerState == snapshot.OwnersPartial {
				unknown.with().value++
			}
		}
	}
	unknown.with()
	if r.Complete {
		complete.with().value = 1
	} else {
		complete.with().value = 0
	}
	if r.Tool != nil {
		build.with(label(r.Tool.Version), label(r.Tool.Commit)).value = 1
	}
	if r.MachineID != "" || r.Host != "" {
		machine.with(label(r.Host), label(r.MachineID)).value = 1
	}
	if r.Policy != nil {
		violations := gauge("openports_policy_violations", "Differences from the policy (--policy FILE), by kind: new, missing, exposure, owner. Absent without a policy.", "kind")
		detail := gauge("openports_policy_violation_info", "One series per policy violation: its kind and where. Always 1.", "kind", "proto", "address", "port", "exposure", "process")
		for _, k := range []string{report.PolicyNew, report.PolicyMissing, report.PolicyExposure, report.PolicyOwner} {
			violations.with(k).value = 0
		}
		for _, v := range r.Policy.Violations {
			violations.with(v.Kind).value++
			detail.with(v.Kind, v.Proto, label(v.Address), strconv.Itoa(int(v.Port)), string(v.Exposure), label(v.Process)).value = 1
		}
	}
	if r.CollectSeconds > 0 {
		gauge("openports_collect_duration_seconds", "How long collecting the snapshot took.").with().value = r.CollectSeconds
	}
	if t, err := time.Parse(time.RFC3339Nano, r.Taken); err == nil {
		gauge("openports_last_run_timestamp_seconds", "When the collection started, in seconds since the Unix epoch.").with().value = float64(t.UnixNano()) / 1e9
	}

	var mfs []*metricFamily
	for _, g := range gauges {
		if g.err != nil {
			return nil, g.err
		}
		if mf := g.family(); mf != nil {
			mfs = append(mfs, mf)
		}
	}
	slices.SortFunc(mfs, func(a, b *metricFamily) int { return strings.Compare(a.name, b.name) })
	return mfs, nil
}

// listenerValues are the values of listenerLabels for row.
func (p Prometheus) listenerValues(r *report.Report, row report.Row) []string {
	port := strconv.Itoa(int(row.Port))
	if !p.EphemeralPorts && hasFinding(row, "ephemeral-bound") {
		port = "ephemeral"
	}
	values := []string{
		string(row.Proto), Escape(row.Address), port, string(row.Exposure), row.Severity.String(), row.Service,
		processNames(row), Users(row), systemdUnits(row), metricNamespace(r, row.NetNS),
	}
	for i := range values {
		values[i] = capText(values[i]) // already escaped
	}
	return values
}

// label is a label value made of outside text: escaped, and capped as a
// table caps its last column, so that one hostile name cannot blow up
// every scrape.
func label(s string) string { return capText(Escape(s)) }

func hasFinding(row report.Row, rule string) bool {
	for _, f := range row.Findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// processNames are the distinct names of the row's processes, escaped,
// in PID order: the PROCESS column without the PIDs.
func processNames(row report.Row) string {
	var names []string
	for _, p := range row.Processes {
		if n := Escape(p.Name); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// systemdUnits are the distinct systemd units that started the row's
// processes, when provenance was looked up.
func systemdUnits(row report.Row) string {
	var units []string
	for _, p := range row.Processes {
		if p.Provenance == nil || p.Provenance.Init != "systemd" || p.Provenance.Service == "" {
			continue
		}
		if u := Escape(p.Provenance.Service); !slices.Contains(units, u) {
			units = append(units, u)
		}
	}
	return strings.Join(units, ",")
}

// metricNamespace names a network namespace for a label: "" for the one
// openports ran in, else as the NETNS column does.
func metricNamespace(r *report.Report, id uint64) string {
	if id == 0 {
		return ""
	}
	for _, ns := range r.Namespaces {
		if ns.ID == id && ns.Current {
			return ""
		}
	}
	return namespaceName(r.Namespaces, id)
}
