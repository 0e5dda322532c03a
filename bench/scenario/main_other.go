//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "scenario: network namespaces exist on Linux only")
	os.Exit(2)
}
