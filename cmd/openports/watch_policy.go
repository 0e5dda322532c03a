package main

import (
	"context"
	"os"
	"time"

	"github.com/openports/openports/internal/identity"
	"github.com/openports/openports/internal/journal"
	"github.com/openports/openports/internal/render"
	"github.com/openports/openports/internal/report"
	"github.com/openports/openports/internal/watch"
	"github.com/openports/openports/internal/watchpolicy"
)

// policyEmitter returns the emit function of `watch --policy FILE`: only
// sockets the policy does not allow, each kind once (internal/watchpolicy),
// to the journal with priorities and fields when stdout is systemd's
// journal stream, else as text or JSON lines. The first write error goes
// to *werr. reach reports a socket held back until a poll read its
// IP_TRANSPARENT flag (watch.Options.Reach). afterPoll reports the sockets that waited long enough for an
// owner (watch.Options.AfterPoll); done reports those still waiting,
// closes the journal connection and returns the counts for the summary.
//
// interval is watch's poll interval: a new socket without an owner waits
// as long as watch looks for it again.
func policyEmitter(ctx context.Context, g *globalOptions, file string, interval time.Duration, werr *error) (emit func(watch.Event), afterPoll func(time.Time), reach func(watch.Event), done func() *watch.PolicyCounts, err error) {
	out, err := newOutput(g, render.Violations)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := withKnowledge(&out.opt); err != nil {
		return nil, nil, nil, nil, err
	}
	pol, err := loadPolicy(ctx, file)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	aopt, err := g.analysisOptions(true)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	host, _ := os.Hostname()
	filter := watchpolicy.New(pol, aopt, host, identity.MachineID("/"))
	filter.OwnerWait = watch.OwnerWait(interval)
	var jw *journal.Writer
	if f, ok := g.stdout.(*os.File); ok && journal.StreamIsJournal(f) {
		if jw, err = journal.Open(journal.SocketPath); err != nil {
			jw = nil // fall back to lines on the stream, which reach the journal too
		}
	}
	send := func(v watchpolicy.Violation) {
		var err error
		switch {
		case jw != nil:
			if err = jw.Send(v.Message, v.Priority(), v.JournalFields()); err != nil {
				err = exitWith(report.ExitWrite, err)
			}
		default:
			err = out.emit(v) // a failed write is ExitWrite, as watch's own events
		}
		if err != nil && *werr == nil {
			*werr = err
		}
	}
	emit = func(ev watch.Event) {
		for _, v := range filter.Check(ev) {
			send(v)
		}
	}
	reach = func(ev watch.Event) {
		for _, v := range filter.Reach(ev) {
			send(v)
		}
	}
	afterPoll = func(now time.Time) {
		for _, v := range filter.Expire(now) {
			send(v)
		}
	}
	done = func() *watch.PolicyCounts {
		for _, v := range filter.Flush() {
			send(v)
		}
		if jw != nil {
			jw.Close()
		}
		return &watch.PolicyCounts{File: file, Violations: filter.Violations, OwnerUnknown: filter.OwnerUnknown, ExposureUnknown: filter.ExposureUnknown, Suppressed: filter.Suppressed}
	}
	return emit, afterPoll, reach, done, nil
}
