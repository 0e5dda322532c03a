//go:build !linux

// Command watchcost measures openports watch; it needs Linux.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "watchcost: needs Linux")
	os.Exit(2)
}
