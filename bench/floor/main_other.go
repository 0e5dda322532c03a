//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "floor: sock_diag and /proc exist on Linux only")
	os.Exit(2)
}
