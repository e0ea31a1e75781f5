//go:build linux || darwin

package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), ioctlGetTermios)
	return err == nil
}

// echoOff stops the terminal from echoing typed characters until restore
// is called (also on Ctrl-C, which would otherwise leave it silent).
func echoOff(f *os.File) (restore func(), err error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &quiet); err != nil {
		return nil, err
	}
	stop := restoreOnInterrupt(func() { _ = unix.IoctlSetTermios(fd, ioctlSetTermios, old) })
	return func() {
		stop()
		_ = unix.IoctlSetTermios(fd, ioctlSetTermios, old)
	}, nil
}
