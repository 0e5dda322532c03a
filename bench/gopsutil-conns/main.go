// Command gopsutil-conns lists listening TCP sockets and unconnected UDP
// sockets with the PIDs that hold them, the way a Go programmer would with
// gopsutil: one call to net.Connections("inet"). The benchmark runner in
// bench/runner times it beside openports, ss, netstat and lsof.
//
// Output: one line per socket and holder, "PROTO ADDRESS:PORT PID", sorted.
package main

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"syscall"

	"github.com/shirou/gopsutil/v4/net"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "gopsutil-conns: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	conns, err := net.Connections("inet")
	if err != nil {
		return fmt.Errorf("net.Connections: %w", err)
	}
	var lines []string
	for _, c := range conns {
		var proto string
		switch {
		case c.Type == syscall.SOCK_STREAM && c.Status == "LISTEN":
			proto = "tcp"
		case c.Type == syscall.SOCK_DGRAM && c.Raddr.Port == 0:
			proto = "udp"
		default:
			continue
		}
		addr, err := netip.ParseAddr(c.Laddr.IP)
		if err != nil {
			return fmt.Errorf("socket %d: local address %q: %w", c.Fd, c.Laddr.IP, err)
		}
		lines = append(lines, fmt.Sprintf("%s %s %d", proto, netip.AddrPortFrom(addr, uint16(c.Laddr.Port)), c.Pid))
	}
	slices.Sort(lines)
	w := bufio.NewWriter(os.Stdout)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
