//go:build !linux

package bpfwatch

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

// ErrClosed is returned by Read after Close.
var ErrClosed = errors.New("bpfwatch: tracer closed")

// Tracer is not available outside Linux.
type Tracer struct{}

// Open fails outside Linux.
func Open() (*Tracer, error) {
	return nil, fmt.Errorf("load watch eBPF programs: not supported on %s", runtime.GOOS)
}

// Read fails outside Linux.
func (t *Tracer) Read() (Event, error) { return Event{}, ErrClosed }

// Pending is false outside Linux.
func (t *Tracer) Pending() bool { return false }

// ReadAvailable fails outside Linux.
func (t *Tracer) ReadAvailable(func(Event)) (int, error) { return 0, ErrClosed }

// SetDeadline does nothing outside Linux.
func (t *Tracer) SetDeadline(time.Time) {}

// Lost fails outside Linux.
func (t *Tracer) Lost() (uint64, error) { return 0, ErrClosed }

// Close does nothing outside Linux.
func (t *Tracer) Close() error { return nil }
