//go:build !linux && !darwin && !windows

package cli

import (
	"errors"
	"os"
)

// isTerminal: on this system hidden input is not supported, so input is
// treated as piped lines.
func isTerminal(f *os.File) bool { return false }

func echoOff(f *os.File) (func(), error) {
	return nil, errors.New("hidden input is not supported on this system")
}
