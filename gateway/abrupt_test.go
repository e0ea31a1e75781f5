package gateway

import (
	"sync/atomic"
	"testing"
	"time"
)

// A forced stop that comes while the normal cleanup runs the same func
// (the demo removing its folder) must wait for it: the process ends right
// after runAbruptExit, and ending it halfway left bin/run.sh behind.
func TestAnAbruptExitWaitsForTheCleanupUnderWay(t *testing.T) {
	var calls atomic.Int32
	inside, release := make(chan struct{}), make(chan struct{})
	run := OnAbruptExit(func() {
		calls.Add(1)
		close(inside)
		<-release
	})
	cleaned := make(chan struct{})
	go func() {
		run()
		close(cleaned)
	}()
	select { // the normal cleanup is halfway through
	case <-inside:
	case <-time.After(10 * time.Second):
		t.Fatal("the cleanup's run did not run the func")
	}
	abrupt := make(chan struct{})
	go func() {
		runAbruptExit()
		close(abrupt)
	}()
	select {
	case <-abrupt:
		t.Fatal("the abrupt exit did not wait for the cleanup under way: the process would end halfway through it")
	case <-time.After(50 * time.Millisecond): // a wrong answer shows within this; a right one takes the whole wait
	}
	close(release)
	for _, ch := range []chan struct{}{cleaned, abrupt} {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatal("the cleanup or the abrupt exit never returned")
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the func ran %d times, want once", n)
	}
}

// After the normal cleanup an abrupt exit has nothing left to do; before
// it, the abrupt exit does the work and the cleanup does not repeat it.
func TestAnAbruptExitFuncRunsOnce(t *testing.T) {
	var calls atomic.Int32
	run := OnAbruptExit(func() { calls.Add(1) })
	run()
	runAbruptExit()
	run2 := OnAbruptExit(func() { calls.Add(1) })
	runAbruptExit()
	run2()
	if n := calls.Load(); n != 2 {
		t.Errorf("two funcs ran %d times in all, want 2", n)
	}
}
