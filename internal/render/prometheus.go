package render

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/openports/openports/internal/outfile"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
)

func init() { Reports.Register(FormatPrometheus, writeReportPrometheus) }

// Prometheus writes a report as per-run gauges in the Prometheus text
// exposition format, for node_exporter's textfile collector (docs/fleet.md).
// Every label value comes from the report; label sets stay bounded: no PIDs,
// and ports in the ephemeral range become "ephemeral" unless EphemeralPorts.
// The encoding is client_golang's and expfmt's, never hand-formatted, so that
// label values (process names chosen by any user) are escaped correctly.
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
	mfs, err := p.Gatherer(r).Gather()
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

// Gatherer returns the metrics of r, sorted, ready to be encoded.
func (p Prometheus) Gatherer(r *report.Report) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		reg := prometheus.NewPedanticRegistry()
		if err := p.register(reg, r); err != nil {
			return nil, err
		}
		return reg.Gather()
	})
}

// Label names of openports_listener_info, in order.
var listenerLabels = []string{"proto", "address", "port", "exposure", "risk", "service", "process", "user", "unit", "netns"}

func (p Prometheus) register(reg *prometheus.Registry, r *report.Report) error {
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		reg.MustRegister(g)
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
		info.WithLabelValues(values...).Set(1)
		listeners.WithLabelValues(string(row.Exposure), row.Severity.String()).Inc()
		for _, s := range row.Sockets {
			if s.OwnerState == snapshot.OwnersUnknown || s.OwnerState == snapshot.OwnersPartial {
				unknown.WithLabelValues().Inc()
			}
		}
	}
	unknown.WithLabelValues().Add(0)
	if r.Complete {
		complete.WithLabelValues().Set(1)
	} else {
		complete.WithLabelValues().Set(0)
	}
	if r.Tool != nil {
		build.WithLabelValues(label(r.Tool.Version), label(r.Tool.Commit)).Set(1)
	}
	if r.MachineID != "" || r.Host != "" {
		machine.WithLabelValues(label(r.Host), label(r.MachineID)).Set(1)
	}
	if r.Policy != nil {
		violations := gauge("openports_policy_violations", "Differences from the policy (--policy FILE), by kind: new, missing, exposure, owner. Absent without a policy.", "kind")
		detail := gauge("openports_policy_violation_info", "One series per policy violation: its kind and where. Always 1.", "kind", "proto", "address", "port", "exposure", "process")
		for _, k := range []string{report.PolicyNew, report.PolicyMissing, report.PolicyExposure, report.PolicyOwner} {
			violations.WithLabelValues(k).Set(0)
		}
		for _, v := range r.Policy.Violations {
			violations.WithLabelValues(v.Kind).Inc()
			detail.WithLabelValues(v.Kind, v.Proto, label(v.Address), strconv.Itoa(int(v.Port)), string(v.Exposure), label(v.Process)).Set(1)
		}
	}
	if r.CollectSeconds > 0 {
		gauge("openports_collect_duration_seconds", "How long collecting the snapshot took.").WithLabelValues().Set(r.CollectSeconds)
	}
	if t, err := time.Parse(time.RFC3339Nano, r.Taken); err == nil {
		gauge("openports_last_run_timestamp_seconds", "When the collection started, in seconds since the Unix epoch.").WithLabelValues().Set(float64(t.UnixNano()) / 1e9)
	}
	return nil
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
