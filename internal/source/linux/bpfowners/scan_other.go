//go:build !linux

package bpfowners

import (
	"fmt"
	"runtime"

	"github.com/openports/openports/internal/source"
	"github.com/openports/openports/internal/source/linux/fdscan"
)

// Available reports that the eBPF owner mapping exists only on Linux: the
// error wraps source.ErrUnsupported.
func Available() error {
	return fmt.Errorf("eBPF owner mapping on %s: %w", runtime.GOOS, source.ErrUnsupported)
}

// Scan is only implemented on Linux; elsewhere it returns an error wrapping
// source.ErrUnsupported.
func Scan(wanted map[uint64]struct{}, procRoot string) (*fdscan.Result, error) {
	return nil, Available()
}

// ScanWith is only implemented on Linux; elsewhere it returns an error
// wrapping source.ErrUnsupported.
func ScanWith(wanted map[uint64]struct{}, scanner *fdscan.Scanner) (*fdscan.Result, error) {
	return nil, Available()
}
