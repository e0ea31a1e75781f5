package gateway

import (
	"context"
	"fmt"
	"net"
	"os"
	"reflect"
	"slices"
	"syscall"
	"testing"
	"time"
)

// dialError wraps errno the way net.Dial reports it.
func dialError(errno syscall.Errno) error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
}

func TestConnRefusedReadsEachSystemsErrors(t *testing.T) {
	tests := []struct {
		name string
		goos string
		err  error
		want bool
	}{
		{"windows: WSAECONNREFUSED is a free port", "windows", dialError(syscall.Errno(10061)), true},
		{"windows: WSAECONNRESET is not", "windows", dialError(syscall.Errno(10054)), false},
		{"windows: WSAETIMEDOUT is not", "windows", dialError(syscall.Errno(10060)), false},
		{"linux: ECONNREFUSED is a free port", "linux", dialError(syscall.ECONNREFUSED), true},
		{"darwin: ECONNREFUSED is a free port", "darwin", dialError(syscall.ECONNREFUSED), true},
		{"linux: ECONNRESET is not", "linux", dialError(syscall.ECONNRESET), false},
		{"linux: Windows' number means nothing", "linux", dialError(syscall.Errno(10061)), false},
		{"a timeout is not", "linux", context.DeadlineExceeded, false},
		{"wrapped again", "windows", fmt.Errorf("probe: %w", dialError(syscall.Errno(10061))), true},
		{"no error", "windows", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connRefused(tt.err, tt.goos); got != tt.want {
				t.Errorf("connRefused(%v, %s) = %v, want %v", tt.err, tt.goos, got, tt.want)
			}
		})
	}
}

func TestConnRefusedOnAClosedLoopbackPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil || !connRefused(err, "linux") {
		t.Errorf("dialing a closed port: %v; want a refusal that reads as a free port", err)
	}
}

func TestStopStepsPerSystem(t *testing.T) {
	const wait = 10 * time.Second
	unix := []stopStep{
		{signal: syscall.SIGTERM, wait: wait},
		{signal: syscall.SIGKILL, wait: 5 * time.Second, byHand: "kill -9 -- -4242"},
	}
	tests := []struct {
		goos string
		want []stopStep
	}{
		{"linux", unix},
		{"darwin", unix},
		// No taskkill without /F: it would wait out the whole stop wait.
		{"windows", []stopStep{{cmd: []string{"taskkill", "/T", "/F", "/PID", "4242"}, wait: 5 * time.Second, byHand: "taskkill /T /F /PID 4242"}}},
	}
	for _, tt := range tests {
		t.Run(tt.goos, func(t *testing.T) {
			got := stopSteps(tt.goos, 4242, wait)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("stopSteps(%s) = %+v, want %+v", tt.goos, got, tt.want)
			}
			for _, st := range got {
				for i, a := range st.cmd {
					if a == "taskkill" && !slices.Contains(st.cmd[i:], "/F") {
						t.Errorf("%v: taskkill without /F waits out the whole stop wait", st.cmd)
					}
				}
			}
		})
	}
}
