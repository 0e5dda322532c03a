// Package nsthread runs work on an OS thread inside a network namespace:
// sockets that work creates, and processes it starts (os/exec forks from
// the calling thread), belong to that namespace, while the rest of the
// program stays where it is. The bench programs use it instead of
// `ip netns exec`, which would add a fork, an exec and a mount namespace to
// every timed run.
package nsthread

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Thread is a locked OS thread inside a network namespace.
type Thread struct {
	work chan func()
	done chan struct{}
}

// New starts a thread that enters the network namespace at path (e.g.
// /run/netns/NAME). The thread is never unlocked, so the runtime discards
// it when Stop ends its goroutine instead of reusing it elsewhere.
func New(path string) (*Thread, error) {
	t := &Thread{work: make(chan func()), done: make(chan struct{})}
	errc := make(chan error, 1)
	go t.run(path, errc)
	if err := <-errc; err != nil {
		return nil, err
	}
	return t, nil
}

// run enters the namespace on a thread of its own and serves Do until
// Stop. The thread is never unlocked, so the runtime ends it afterwards.
func (t *Thread) run(path string, errc chan<- error) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// This is the main thread: /proc/self follows it, so moving it
		// would move the whole process as others see it. Keep it
		// locked (so that the new goroutine gets another thread) and
		// hand over; unlock once that one has started.
		started := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(started)
			t.serve(path, errc)
		}()
		<-started
		runtime.UnlockOSThread()
		return
	}
	t.serve(path, errc)
}

// serve enters the namespace on the calling, locked thread and runs work.
func (t *Thread) serve(path string, errc chan<- error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		errc <- fmt.Errorf("open %s: %w", path, err)
		return
	}
	err = unix.Setns(fd, unix.CLONE_NEWNET)
	unix.Close(fd)
	if err != nil {
		errc <- fmt.Errorf("enter %s: %w", path, err)
		return
	}
	errc <- nil
	for {
		select {
		case f := <-t.work:
			f()
		case <-t.done:
			return
		}
	}
}

// Do runs f on the thread and returns its error.
func (t *Thread) Do(f func() error) error {
	errc := make(chan error, 1)
	t.work <- func() { errc <- f() }
	return <-errc
}

// Stop ends the thread. The Thread must not be used afterwards.
func (t *Thread) Stop() { close(t.done) }
