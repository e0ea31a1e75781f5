package gateway

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// StopSignals stop the app cleanly, stopping the gateway it started:
// Ctrl-C, SIGTERM (systemd, kill) and SIGHUP (the terminal was closed or
// the ssh connection dropped). SIGHUP's default would end the app at once
// and leave run.sh and java running under PID 1. (Windows delivers only
// Ctrl-C; the other two are never sent there.)
var StopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// NotifyStop returns a context that ends at the first of StopSignals.
// Call stop once the app has stopped: signals then act as by default again.
func NotifyStop(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	return signal.NotifyContext(parent, StopSignals...)
}
