package fdscan

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// verifyOnly is the verification of VerifyAndScanUnseen alone, for its
// tests: it checks holdings found by another mechanism against ProcRoot and
// returns them as Scan would have, without listing ProcRoot or scanning
// the processes not held: for each holding, each descriptor must
// still point at its socket (read again through /proc/PID/fd), the owner's
// details are then read as Scan reads them, and the process under PID must
// have the given start time. A process that exited or whose PID was reused
// counts as Vanished, a descriptor that moved as Changed, a process that
// cannot be read is Unreadable. Result.Processes is the number of holdings
// given and Result.NetNS is nil. It fails only when ProcRoot cannot be
// opened.
func verifyOnly(s *Scanner, holdings []Holding) (*Result, error) {
	root := s.procRoot()
	procFD, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", root, err)
	}
	defer unix.Close(procFD)

	// No getdents64 buffer: the descriptors are known.
	outs := inWorkers(s.Workers, 16, holdings, func(int) *worker {
		return s.newWorker(procFD, nil, []byte{})
	}, (*worker).verifyHolding)
	return s.merge(outs, len(holdings)), nil
}
