package watch

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// liveWatch is a Run in the background that collects its events.
type liveWatch struct {
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	events []Event
	sum    Summary
}

// startWatch starts Run with opt and returns once it is ready (after
// opt.Ready, if set, has run).
func startWatch(t *testing.T, opt Options) *liveWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &liveWatch{cancel: cancel, done: make(chan error, 1)}
	t.Cleanup(cancel)
	ready := make(chan struct{})
	then := opt.Ready
	opt.Ready = func() {
		if then != nil {
			then()
		}
		close(ready)
	}
	go func() {
		sum, err := Run(ctx, opt, func(ev Event) {
			w.mu.Lock()
			w.events = append(w.events, ev)
			w.mu.Unlock()
		})
		w.sum = sum
		w.done <- err
	}()
	select {
	case <-ready:
	case err := <-w.done:
		t.Fatalf("watch ended before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("watch not ready after 30 s")
	}
	return w
}

// Events returns the events so far.
func (w *liveWatch) Events() []Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.events)
}

// Find returns the last event of kind k about the socket inode, nil when
// there is none.
func (w *liveWatch) Find(inode uint64, k Kind) *Event {
	evs := w.Events()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Inode == inode && evs[i].Kind == k {
			return &evs[i]
		}
	}
	return nil
}

// Stop ends the watch and returns its summary.
func (w *liveWatch) Stop(t *testing.T) Summary {
	t.Helper()
	w.cancel()
	if err := <-w.done; err != nil {
		t.Fatal(err)
	}
	return w.sum
}

// listenTCP opens a TCP listener on an ephemeral port of addr and returns
// its descriptor and port.
func listenTCP(addr netip.Addr) (fd int, port uint16, err error) {
	fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, fmt.Errorf("socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: addr.As4()}); err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("listen: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("getsockname: %w", err)
	}
	return fd, uint16(sa.(*unix.SockaddrInet4).Port), nil
}
