// Package watchpolicy makes `openports watch --policy FILE` quiet enough for
// a log pipeline: of the sockets watch sees appear (or change owner), it
// keeps only those the policy does not allow, and reports each kind of
// violation once, keyed on what an administrator would write a rule for —
// protocol, port (or "ephemeral" for the ephemeral range), exposure,
// service/unit/program and user class — never on a PID, so that a program
// that binds a fresh ephemeral port a thousand times is one event.
//
// Each socket goes through the same analysis and policy check as `openports
// list --policy`: one socket becomes a one-row report (internal/analysis),
// which internal/policy checks.
package watchpolicy

import (
	"fmt"
	"path"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/openports/openports/internal/analysis"
	"github.com/openports/openports/internal/policy"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/snapshot"
	"github.com/openports/openports/internal/watch"
)

// EventName is the "event" of every Violation, beside watch's new, gone
// and owner-changed.
const EventName = "policy-violation"

// KindOwnerUnknown is the Kind of a socket on a port a rule allows only
// for a named process or user, whose owner could not be seen: not proven
// allowed, and not a violation either.
const KindOwnerUnknown = report.PolicyOwnerUnknown

// KindExposureUnknown is the Kind of a loopback socket on a port a rule
// allows only as loopback (or on another address other machines cannot
// reach), of which watch could not tell whether other machines reach it
// (watch.Event.ExposureUnknown: its IP_TRANSPARENT flag or its
// namespace's route_localnet unread): not proven allowed, and not a
// violation either.
const KindExposureUnknown = "exposure-unknown"

// User classes (Violation.UserClass).
const (
	UserRoot    = "root"    // uid 0
	UserSystem  = "system"  // uid 1–999: daemons' accounts
	UserRegular = "user"    // uid 1000 and up: people
	UserUnknown = "unknown" // the owner could not be seen
)

// Violation is one socket the policy does not allow, as watch -o json
// writes it (docs/watch.md, schema in docs/schema/watch-event.schema.json).
type Violation struct {
	Time time.Time `json:"time"`
	// Event is always EventName.
	Event string `json:"event"`
	// Host and MachineID say which host it is, for a log pipeline
	// gathering many.
	Host      string `json:"host"`
	MachineID string `json:"machine_id,omitempty"`
	// Kind is the policy's: new, exposure or owner; or owner-unknown
	// (KindOwnerUnknown): the rule allows the port only for a named
	// process or user, and the owner could not be seen.
	Kind     string `json:"kind"`
	Proto    string `json:"proto"`
	Address  string `json:"address"`
	Port     uint16 `json:"port"`
	Exposure string `json:"exposure"`
	// Ephemeral says the port is in the host's ephemeral range; the key
	// then says "ephemeral" instead of the port.
	Ephemeral bool   `json:"ephemeral,omitempty"`
	Service   string `json:"service,omitempty"`
	// Program is the name of the socket's main process; Unit the systemd
	// unit it runs in, when known.
	Program   string `json:"program,omitempty"`
	Unit      string `json:"unit,omitempty"`
	User      string `json:"user,omitempty"`
	UserClass string `json:"user_class"`
	// OwnerReason is why no owner was seen, when watch said.
	OwnerReason string `json:"owner_reason,omitempty"`
	// ExposureReason is why watch could not tell whether other machines
	// reach the loopback socket (exposure-unknown).
	ExposureReason string `json:"exposure_reason,omitempty"`
	// Allowed is the owner the rule allows, for owner-unknown: "process
	// sshd, user root".
	Allowed string `json:"allowed,omitempty"`
	// PIDs are the processes holding the socket when it was seen, for
	// investigation; they are not part of Key.
	PIDs     []int  `json:"pids,omitempty"`
	NetNS    uint64 `json:"netns,omitempty"`
	Severity string `json:"severity"`
	// Rule is the policy rule involved (FILE:LINE), "" for new.
	Rule string `json:"rule,omitempty"`
	// Key identifies the violation for de-duplication: an event with a
	// key already reported in this run is not reported again.
	Key string `json:"key"`
	// Message is an English sentence for people.
	Message string `json:"message"`
}

// Filter turns watch events into violations, each key once.
type Filter struct {
	policy    *policy.Policy
	opt       analysis.Options
	host      string
	machineID string
	seen      map[string]bool
	// pending are new sockets whose owner was not seen yet, by inode:
	// watch usually names it a moment later (owner-changed), and a
	// violation keyed on "unknown program" would be noise. Loopback
	// sockets known from an eBPF record wait too, for the poll that
	// reads their IP_TRANSPARENT flag (Reach): else each would be
	// exposure-unknown under a loopback rule.
	pending map[uint64]watch.Event
	// OwnerWait is how long a new socket without an owner waits for one:
	// as long as watch keeps looking (watch.OwnerWait of its interval).
	OwnerWait time.Duration
	// Violations, OwnerUnknown and ExposureUnknown count the records
	// reported, by kind: the policy's violations, owner-unknown and
	// exposure-unknown.
	Violations, OwnerUnknown, ExposureUnknown int
	// Suppressed counts events whose key was already reported.
	Suppressed int
}

// New returns a filter for p. opt is what `list` would analyse with (the
// knowledge base names services); host and machineID are put on every
// violation.
func New(p *policy.Policy, opt analysis.Options, host, machineID string) *Filter {
	opt.All = true // loopback sockets are compared too, as with list --policy
	return &Filter{policy: p, opt: opt, host: host, machineID: machineID, seen: map[string]bool{}, pending: map[uint64]watch.Event{},
		OwnerWait: watch.OwnerWait(watch.DefaultInterval)}
}

// Check returns the violations among ev and the sockets that waited for
// their owner long enough (see pending), each key once.
func (f *Filter) Check(ev watch.Event) []Violation {
	out := f.Expire(ev.Time)
	if p, ok := f.pending[ev.Inode]; ok && ev.Inode != 0 {
		delete(f.pending, ev.Inode)
		switch ev.Kind {
		case watch.OwnerChanged:
			// The owner it waited for.
		case watch.Gone:
			if len(ev.Owners) == 0 {
				ev = p
			} else {
				p.Owners, p.OwnerState = ev.Owners, ev.OwnerState
				ev = p
			}
			ev.Kind = watch.New
		default:
			out = f.appendCheck(out, p)
		}
	} else if ev.Kind == watch.New && ev.Inode != 0 && (len(ev.Owners) == 0 && ev.OwnerState != snapshot.OwnersNone || ev.TransparentUnknown) {
		f.pending[ev.Inode] = ev
		return out
	}
	return f.appendCheck(out, ev)
}

// Reach takes what a poll read of a pending socket's reach (watch's
// Options.Reach: the IP_TRANSPARENT flag an eBPF record has not): the
// socket is checked now, unless it still waits for its owner.
func (f *Filter) Reach(ev watch.Event) []Violation {
	p, ok := f.pending[ev.Inode]
	if !ok || ev.Inode == 0 || !p.TransparentUnknown {
		return nil
	}
	p.Transparent, p.TransparentUnknown, p.RouteLocalnet, p.ExposureUnknown = ev.Transparent, ev.TransparentUnknown, ev.RouteLocalnet, ev.ExposureUnknown
	if len(p.Owners) == 0 && p.OwnerState != snapshot.OwnersNone {
		f.pending[ev.Inode] = p
		return nil
	}
	delete(f.pending, ev.Inode)
	return f.appendCheck(nil, p)
}

// Expire returns the violations of the sockets that waited for their
// owner OwnerWait or longer by now. watch calls it after every poll, so
// that on a quiet host such a socket is not held back until the next
// event.
func (f *Filter) Expire(now time.Time) []Violation {
	var out []Violation
	for ino, p := range f.pending {
		if now.Sub(p.Time) >= f.OwnerWait {
			delete(f.pending, ino)
			out = f.appendCheck(out, p)
		}
	}
	return out
}

// Flush returns the violations of the sockets still waiting for an owner,
// at the end of a watch.
func (f *Filter) Flush() []Violation {
	var out []Violation
	for ino, p := range f.pending {
		delete(f.pending, ino)
		out = f.appendCheck(out, p)
	}
	return out
}

func (f *Filter) appendCheck(out []Violation, ev watch.Event) []Violation {
	if v, ok := f.check(ev); ok {
		out = append(out, v)
	}
	return out
}

// check returns the violation ev is, or false when the policy allows the
// socket, the event is not about a socket appearing or changing owner, or
// its key was already reported.
func (f *Filter) check(ev watch.Event) (Violation, bool) {
	if ev.Kind != watch.New && ev.Kind != watch.OwnerChanged {
		return Violation{}, false
	}
	rep := analysis.Build(f.snapshot(ev), f.opt)
	if len(rep.Rows) != 1 {
		return Violation{}, false
	}
	res := policy.Apply(f.policy, rep)
	var pv *report.PolicyViolation
	for i := range res.Violations {
		if res.Violations[i].Kind != report.PolicyMissing {
			pv = &res.Violations[i]
			break
		}
	}
	if pv == nil && len(res.Unproven) > 0 {
		// Allowed only for an owner that could not be seen: said, not
		// passed in silence.
		pv = &res.Unproven[0]
	}
	row := rep.Rows[0]
	exposureReason := ""
	if pv == nil && ev.ExposureUnknown != "" && row.Exposure == report.ExposureLoopback {
		// Allowed as loopback, but whether other machines reach it
		// was not read: allowed still if they do (IP_TRANSPARENT,
		// the widest such reach), else not proven allowed.
		if wv := f.worstCase(ev); wv != nil {
			pv = &report.PolicyViolation{Kind: KindExposureUnknown, Rule: wv.Rule, Process: wv.Process}
			exposureReason = ev.ExposureUnknown
		}
	}
	if pv == nil {
		return Violation{}, false
	}
	v := Violation{
		Time: ev.Time, Event: EventName, Host: f.host, MachineID: f.machineID,
		Kind: pv.Kind, Proto: string(row.Proto), Address: row.Address, Port: row.Port, Exposure: string(row.Exposure),
		Ephemeral: ev.Ephemeral, Service: row.Service, Program: pv.Process, User: userName(ev),
		UserClass: userClass(ev), Allowed: pv.Allowed, NetNS: ev.NetNS, Severity: row.Severity.String(), Rule: pv.Rule,
	}
	for _, o := range ev.Owners {
		v.PIDs = append(v.PIDs, o.PID)
		if v.Unit == "" {
			v.Unit = unitOf(o.Cgroup)
		}
	}
	if len(ev.Owners) == 0 && (ev.OwnerState != snapshot.OwnersNone || v.Kind == KindOwnerUnknown) {
		v.OwnerReason = ev.OwnerReason
	}
	v.ExposureReason = exposureReason
	v.Key = key(v)
	if f.seen[v.Key] {
		f.Suppressed++
		return Violation{}, false
	}
	f.seen[v.Key] = true
	switch v.Kind {
	case KindOwnerUnknown:
		f.OwnerUnknown++
	case KindExposureUnknown:
		f.ExposureUnknown++
	default:
		f.Violations++
	}
	v.Message = message(v)
	return v, true
}

// snapshot is ev's socket as a one-socket snapshot of this host.
func (f *Filter) snapshot(ev watch.Event) *snapshot.Snapshot {
	state := ev.State
	if state == "" {
		state = snapshot.Listen
		if ev.Proto != snapshot.TCP && ev.Proto != snapshot.SCTP {
			state = snapshot.Unconnected
		}
	}
	ownerState := ev.OwnerState
	if ownerState == snapshot.OwnersNone {
		// No holder found is, in watch, also a socket closed before
		// its scan: no proof that no process held it, so a rule that
		// names an owner gives owner-unknown, not "no process".
		ownerState = snapshot.OwnersUnknown
	}
	snap := &snapshot.Snapshot{
		Schema: snapshot.SchemaVersion, Host: f.host, OS: runtime.GOOS, Taken: ev.Time, Source: "watch",
		Sockets: []snapshot.Socket{{
			Proto: ev.Proto, Local: ev.Local, State: state, Inode: ev.Inode, Cookie: ev.Cookie,
			UID: ev.UID, User: ev.User, NetNS: ev.NetNS, Owners: ev.Owners, OwnerState: ownerState,
			OwnerReason: ev.OwnerReason, Transparent: ev.Transparent,
		}},
	}
	// The interfaces through which other machines reach an IPv4
	// loopback socket: analysis gives it the exposure list gives it.
	for _, name := range ev.RouteLocalnet {
		snap.Interfaces = append(snap.Interfaces, snapshot.Interface{NetNS: ev.NetNS, Name: name, Up: true, RouteLocalnet: true})
	}
	return snap
}

// worstCase returns the policy's violation (or unproven owner) were ev's
// loopback socket reachable from other machines, nil when the policy
// allows it even so.
func (f *Filter) worstCase(ev watch.Event) *report.PolicyViolation {
	ev.Transparent = true
	rep := analysis.Build(f.snapshot(ev), f.opt)
	if len(rep.Rows) != 1 {
		return nil
	}
	res := policy.Apply(f.policy, rep)
	for i := range res.Violations {
		if res.Violations[i].Kind != report.PolicyMissing {
			return &res.Violations[i]
		}
	}
	if len(res.Unproven) > 0 {
		return &res.Unproven[0]
	}
	return nil
}

// key is what identifies a violation: never a PID, and the ephemeral
// range as one port.
func key(v Violation) string {
	port := strconv.Itoa(int(v.Port))
	if v.Ephemeral {
		port = "ephemeral"
	}
	who := v.Service
	if who == "" {
		who = v.Unit
	}
	if who == "" {
		who = v.Program
	}
	return strings.Join([]string{v.Kind, v.Proto, port, v.Exposure, who, v.UserClass}, "/")
}

func message(v Violation) string {
	port := strconv.Itoa(int(v.Port))
	if v.Ephemeral {
		port += " (ephemeral range)"
	}
	who := v.Program
	if who == "" {
		who = "an unknown process"
	}
	switch v.Kind {
	case KindOwnerUnknown:
		why := v.OwnerReason
		if why == "" {
			why = "?"
		}
		return fmt.Sprintf("%s port %s on %s (%s): the policy allows it only for %s (%s), and its owner could not be seen: %s", v.Proto, port, v.Address, v.Exposure, v.Allowed, v.Rule, why)
	case KindExposureUnknown:
		return fmt.Sprintf("%s port %s on %s (%s) held by %s: the policy allows it only as loopback (%s), and whether other machines reach it could not be told: %s", v.Proto, port, v.Address, v.Exposure, who, v.Rule, v.ExposureReason)
	case report.PolicyExposure:
		return fmt.Sprintf("%s port %s on %s (%s) held by %s: the policy allows it with another exposure (%s)", v.Proto, port, v.Address, v.Exposure, who, v.Rule)
	case report.PolicyOwner:
		return fmt.Sprintf("%s port %s on %s (%s) held by %s: the policy allows it for another owner (%s)", v.Proto, port, v.Address, v.Exposure, who, v.Rule)
	}
	return fmt.Sprintf("%s port %s on %s (%s) held by %s: not in the policy", v.Proto, port, v.Address, v.Exposure, who)
}

// userClass classes the socket's owner (its main process, else the
// socket's uid).
func userClass(ev watch.Event) string {
	var uid *uint32
	for _, o := range ev.Owners {
		if o.UID != nil {
			uid = o.UID
			break
		}
	}
	if uid == nil {
		uid = ev.UID
	}
	switch {
	case uid == nil:
		return UserUnknown
	case *uid == 0:
		return UserRoot
	case *uid < 1000:
		return UserSystem
	}
	return UserRegular
}

func userName(ev watch.Event) string {
	for _, o := range ev.Owners {
		if o.User != "" {
			return o.User
		}
	}
	return ev.User
}

// unitOf is the systemd unit of a cgroup path ("/system.slice/ssh.service"
// → "ssh.service"), "" when it is not in one.
func unitOf(cgroup string) string {
	base := path.Base(cgroup)
	for _, suffix := range []string{".service", ".socket", ".scope"} {
		if strings.HasSuffix(base, suffix) {
			return base
		}
	}
	return ""
}
