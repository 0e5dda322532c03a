//go:build !linux

package fdscan

import (
	"fmt"
	"runtime"

	"github.com/openports/openports/internal/source"
)

// VerifyAndScanUnseen is only implemented on Linux; elsewhere it returns an
// error wrapping source.ErrUnsupported.
func (s *Scanner) VerifyAndScanUnseen(holdings []Holding, seen map[int]struct{}, wanted map[uint64]struct{}) (*Result, error) {
	return nil, fmt.Errorf("fdscan on %s: %w", runtime.GOOS, source.ErrUnsupported)
}
