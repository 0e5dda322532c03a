package render

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/openports/openports/internal/outfile"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

func init() { Reports.Register(FormatPrometheus, writeReportPrometheus) }

// Prometheus writes a report as per-run gauges in the Prometheus text
// exposition format, for node_exporter's textfile collector (docs/fleet.md).
// Every label value comes from the report; label sets stay bounded: no PIDs,
// and ports in the ephemeral range become "ephemeral" unless EphemeralPorts.
// The encoding is expfmt's (Prometheus's own library), never hand-formatted,
// so that label values (process names chosen by any user) are escaped
// correctly.
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
	mfs, err := p.Families(r)
	if err != nil {
		return fmt.Errorf("prometheus metrics: %w", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("write prometheus metrics: %w", err)
		}
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

// Families returns the metrics of r in the order a Prometheus registry
// gathers them (families by name, series by label values, labels by name,
// families without series left out), ready to be encoded by expfmt.
func (p Prometheus) Families(r *report.Report) ([]*dto.MetricFamily, error) {
	var families []*gaugeFamily
	gauge := func(name, help string, labels ...string) *gaugeFamily {
		g := newGaugeFamily(name, help, labels)
		families = append(families, g)
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
		info.set(1, p.listenerValues(r, row)...)
		listeners.add(1, string(row.Exposure), row.Severity.String())
		for _, s := range row.Sockets {
			if s.OwnerState == snapshot.OwnersUnknown || s.OwnerState == snapshot.OwnersPartial {
				unknown.add(1)
			}
		}
	}
	unknown.add(0)
	if len(r.RawSockets) > 0 {
		// Absent rather than 0 when none were found: a parsed output
		// never looked for them.
		raws := gauge("openports_raw_sockets", "Raw and packet sockets that are no rows of the table (raw ones unless --raw), by kind: they receive packets from other machines before any port. Absent when none were found, or the source does not look for them (parsed outputs).", "kind")
		for _, s := range r.RawSockets {
			raws.add(1, s.Kind)
		}
	}
	if r.Complete {
		complete.set(1)
	} else {
		complete.set(0)
	}
	if r.Tool != nil {
		build.set(1, label(r.Tool.Version), label(r.Tool.Commit))
	}
	if r.MachineID != "" || r.Host != "" {
		machine.set(1, label(r.Host), label(r.MachineID))
	}
	if r.Policy != nil {
		violations := gauge("openports_policy_violations", "Differences from the policy (--policy FILE), by kind: new, missing, exposure, owner. Absent without a policy.", "kind")
		detail := gauge("openports_policy_violation_info", "One series per policy violation: its kind and where. Always 1.", "kind", "proto", "address", "port", "exposure", "process")
		for _, k := range []string{report.PolicyNew, report.PolicyMissing, report.PolicyExposure, report.PolicyOwner} {
			violations.set(0, k)
		}
		for _, v := range r.Policy.Violations {
			violations.add(1, v.Kind)
			detail.set(1, v.Kind, v.Proto, label(v.Address), strconv.Itoa(int(v.Port)), string(v.Exposure), label(v.Process))
		}
		unproven := gauge("openports_policy_unproven_info", "One series per listener a rule allows only for a named process or user whose owner could not be seen: not proven allowed, and not a violation. Always 1.", "kind", "proto", "address", "port", "exposure", "allowed")
		for _, v := range r.Policy.Unproven {
			unproven.set(1, v.Kind, v.Proto, label(v.Address), strconv.Itoa(int(v.Port)), string(v.Exposure), label(v.Allowed))
		}
	}
	if r.CollectSeconds > 0 {
		gauge("openports_collect_duration_seconds", "How long collecting the snapshot took.").set(r.CollectSeconds)
	}
	if t, err := time.Parse(time.RFC3339Nano, r.Taken); err == nil {
		gauge("openports_last_run_timestamp_seconds", "When the collection started, in seconds since the Unix epoch.").set(float64(t.UnixNano()) / 1e9)
	}

	var out []*dto.MetricFamily
	for _, g := range families {
		if g.err != nil {
			return nil, g.err
		}
		if mf := g.family(); mf != nil {
			out = append(out, mf)
		}
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, nil
}

// gaugeFamily is one gauge metric family being filled: one series per
// distinct list of label values.
type gaugeFamily struct {
	name, help string
	labels     []string // in the order values are given
	byName     []int    // indexes of labels sorted by name: the order of a series' label pairs
	series     map[string]*dto.Metric
	err        error // the first invalid label value
}

func newGaugeFamily(name, help string, labels []string) *gaugeFamily {
	byName := make([]int, len(labels))
	for i := range byName {
		byName[i] = i
	}
	slices.SortFunc(byName, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return &gaugeFamily{name: name, help: help, labels: labels, byName: byName, series: map[string]*dto.Metric{}}
}

// set sets the series of values to v.
func (g *gaugeFamily) set(v float64, values ...string) {
	if m := g.with(values); m != nil {
		*m.Gauge.Value = v
	}
}

// add adds v to the series of values (starting from 0).
func (g *gaugeFamily) add(v float64, values ...string) {
	if m := g.with(values); m != nil {
		*m.Gauge.Value += v
	}
}

// with returns the series of values, made on first use; nil, with g.err
// set, when values do not fit the labels or are not valid label values
// (which a registry would refuse too).
func (g *gaugeFamily) with(values []string) *dto.Metric {
	if len(values) != len(g.labels) {
		g.fail(fmt.Errorf("%s: %d label values for %d labels", g.name, len(values), len(g.labels)))
		return nil
	}
	for i, v := range values {
		if !model.LabelValue(v).IsValid() {
			g.fail(fmt.Errorf("%s: label %s: invalid value %q", g.name, g.labels[i], v))
			return nil
		}
	}
	// Valid values are UTF-8, which never holds the byte 0xff: the key
	// tells every list of values apart.
	key := strings.Join(values, "\xff")
	if m, ok := g.series[key]; ok {
		return m
	}
	m := &dto.Metric{Gauge: &dto.Gauge{Value: new(float64)}}
	for _, i := range g.byName {
		name, value := g.labels[i], values[i]
		m.Label = append(m.Label, &dto.LabelPair{Name: &name, Value: &value})
	}
	g.series[key] = m
	return m
}

func (g *gaugeFamily) fail(err error) {
	if g.err == nil {
		g.err = err
	}
}

// family is g's metric family, its series sorted by label values; nil
// when g has no series.
func (g *gaugeFamily) family() *dto.MetricFamily {
	if len(g.series) == 0 {
		return nil
	}
	mf := &dto.MetricFamily{Name: &g.name, Help: &g.help, Type: dto.MetricType_GAUGE.Enum()}
	for _, m := range g.series {
		mf.Metric = append(mf.Metric, m)
	}
	slices.SortFunc(mf.Metric, func(a, b *dto.Metric) int {
		for i := range a.Label {
			if c := strings.Compare(a.Label[i].GetValue(), b.Label[i].GetValue()); c != 0 {
				return c
			}
		}
		return 0
	})
	return mf
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
