//go:build !linux

package gateway

import "errors"

var errNoProcInfo = errors.New("process start times are not read on this system")

// procStart would identify a process beyond its pid. Not known here, so a
// gateway left by a killed app is never taken back on this system: it is
// adopted, and never stopped, which is the safe side.
func procStart(int) (string, error) { return "", errNoProcInfo }

// procCwd would be a process's working directory.
func procCwd(int) (string, error) { return "", errNoProcInfo }
