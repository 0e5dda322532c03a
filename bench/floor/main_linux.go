package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	threads := flag.Int("threads", 1, "threads that walk /proc")
	proc := flag.String("proc", "/proc", "where procfs is mounted")
	flag.Parse()
	if *threads < 1 {
		fmt.Fprintln(os.Stderr, "floor: -threads must be at least 1")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(*threads)
	if err := run(*proc, *threads); err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v\n", err)
		os.Exit(1)
	}
}

func run(proc string, threads int) error {
	socks, err := dump()
	if err != nil {
		return err
	}
	want := make(map[uint32]int, len(socks))
	for i, s := range socks {
		want[s.Inode] = i
	}
	holders := make([][]int, len(socks))
	var unreadable atomic.Int64
	if err := scan(proc, threads, want, holders, &unreadable); err != nil {
		return err
	}
	if n := unreadable.Load(); n > 0 {
		// Like ss, the floor lists what it could see; it says how much
		// it could not.
		fmt.Fprintf(os.Stderr, "floor: %d descriptor links could not be read\n", n)
	}
	lines := make([]string, len(socks))
	for i, s := range socks {
		pids := "-"
		if len(holders[i]) > 0 {
			slices.Sort(holders[i])
			b := make([]byte, 0, 8*len(holders[i]))
			for j, p := range slices.Compact(holders[i]) {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendInt(b, int64(p), 10)
			}
			pids = string(b)
		}
		lines[i] = fmt.Sprintf("%s %s %d %s", s.Proto, s.Local, s.Inode, pids)
	}
	slices.Sort(lines)
	w := bufio.NewWriter(os.Stdout)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// dump asks sock_diag for TCP listeners and unconnected UDP sockets of
// both address families: four requests on one netlink socket.
func dump() ([]Socket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	defer unix.Close(fd)
	buf := make([]byte, 64<<10)
	var socks []Socket
	seq := uint32(0)
	for _, q := range []struct {
		family uint8
		proto  uint8
		name   string
	}{
		{unix.AF_INET, unix.IPPROTO_TCP, "tcp"},
		{unix.AF_INET6, unix.IPPROTO_TCP, "tcp"},
		{unix.AF_INET, unix.IPPROTO_UDP, "udp"},
		{unix.AF_INET6, unix.IPPROTO_UDP, "udp"},
	} {
		seq++
		if err := unix.Sendto(fd, request(q.family, q.proto, listeningStateSet, seq), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return nil, fmt.Errorf("send %s dump request: %w", q.name, err)
		}
		for {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				return nil, fmt.Errorf("receive %s dump: %w", q.name, err)
			}
			err = decode(buf[:n], seq, q.name, func(s Socket) { socks = append(socks, s) })
			if errors.Is(err, errDone) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s dump: %w", q.name, err)
			}
		}
	}
	return socks, nil
}

// scan walks proc once and records, for every descriptor that links to a
// wanted socket inode, its process in holders. The PIDs are split over
// threads workers, each with its own buffers.
func scan(proc string, threads int, want map[uint32]int, holders [][]int, unreadable *atomic.Int64) error {
	pfd, err := unix.Open(proc, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", proc, err)
	}
	defer unix.Close(pfd)
	var pids []int
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(pfd, buf)
		if err != nil {
			return fmt.Errorf("read %s: %w", proc, err)
		}
		if n == 0 {
			break
		}
		if err := dirents(buf[:n], func(name []byte) {
			if pid, ok := atoiPID(name); ok {
				pids = append(pids, pid)
			}
		}); err != nil {
			return fmt.Errorf("read %s: %w", proc, err)
		}
	}
	if threads == 1 {
		return scanPIDs(pfd, pids, want, holders, nil, unreadable)
	}
	var mu sync.Mutex
	errs := make([]error, threads)
	var wg sync.WaitGroup
	for t := range threads {
		wg.Go(func() {
			lo, hi := t*len(pids)/threads, (t+1)*len(pids)/threads
			errs[t] = scanPIDs(pfd, pids[lo:hi], want, holders, &mu, unreadable)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// scanPIDs reads the descriptor links of pids. A process that exits
// meanwhile is skipped, as ss does; a link that cannot be read for another
// reason is counted in unreadable.
func scanPIDs(pfd int, pids []int, want map[uint32]int, holders [][]int, mu *sync.Mutex, unreadable *atomic.Int64) error {
	dents := make([]byte, 32<<10)
	link := make([]byte, 64)
	path := make([]byte, 0, 32)
	name0 := make([]byte, 0, 32) // NUL-terminated descriptor name
	for _, pid := range pids {
		path = strconv.AppendInt(path[:0], int64(pid), 10)
		path = append(path, "/fd"...)
		dfd, err := unix.Openat(pfd, string(path), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
			continue
		}
		if err != nil {
			return fmt.Errorf("open /proc/%d/fd: %w", pid, err)
		}
		for {
			n, err := unix.Getdents(dfd, dents)
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
				break // the process exited
			}
			if err != nil {
				unix.Close(dfd)
				return fmt.Errorf("read /proc/%d/fd: %w", pid, err)
			}
			if n == 0 {
				break
			}
			derr := dirents(dents[:n], func(name []byte) {
				name0 = append(append(name0[:0], name...), 0)
				m, err := readlinkat(dfd, name0, link)
				if err != nil {
					if err != unix.ENOENT {
						unreadable.Add(1)
					}
					return
				}
				if m == len(link) {
					return // longer than any socket link
				}
				ino, ok := socketInode(link[:m])
				if !ok {
					return
				}
				if i, ok := want[ino]; ok {
					if mu != nil {
						mu.Lock()
					}
					holders[i] = append(holders[i], pid)
					if mu != nil {
						mu.Unlock()
					}
				}
			})
			if derr != nil {
				unix.Close(dfd)
				return fmt.Errorf("read /proc/%d/fd: %w", pid, derr)
			}
		}
		unix.Close(dfd)
	}
	return nil
}

// readlinkat is readlinkat(2) on a NUL-terminated name, without the
// allocation unix.Readlinkat makes to terminate its string argument: the
// floor does one per descriptor on the host, so that allocation would be
// most of its user time.
func readlinkat(dirfd int, name0, buf []byte) (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dirfd),
		uintptr(unsafe.Pointer(&name0[0])), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
