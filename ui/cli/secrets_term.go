package cli

import (
	"fmt"
	"os"
	"os/signal"
)

// restoreOnInterrupt runs restore and exits on Ctrl-C until stop is
// called, so an interrupted hidden prompt does not leave the terminal
// silent.
func restoreOnInterrupt(restore func()) (stop func()) {
	sig := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sig, os.Interrupt)
	go func() {
		select {
		case <-sig:
			restore()
			fmt.Fprintln(os.Stderr)
			os.Exit(130)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}
