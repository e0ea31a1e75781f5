package runner

import (
	"context"
	"log/slog"
	"sync"
)

// outboxSize bounds the events waiting for one hook list or one webhook.
const outboxSize = 64

// outbox is a bounded queue of events drained in order by its own
// goroutine, so a slow hook or webhook never delays the watcher (nor,
// through it, the keeper). When it is full the oldest event is dropped
// and that is logged: the newest says where things stand now.
type outbox struct {
	name    string // for the log: "hooks", "webhook to HOST"
	log     *slog.Logger
	deliver func(ctx context.Context, e Event)

	mu      sync.Mutex // guards queue and dropped
	queue   []Event
	dropped int
	wake    chan struct{} // capacity 1
}

func newOutbox(name string, log *slog.Logger, deliver func(context.Context, Event)) *outbox {
	return &outbox{name: name, log: log, deliver: deliver, wake: make(chan struct{}, 1)}
}

// put queues e and returns at once.
func (o *outbox) put(e Event) {
	o.mu.Lock()
	if len(o.queue) == outboxSize {
		o.queue = o.queue[1:]
		o.dropped++
		o.log.Warn("events are coming faster than they are delivered; the oldest waiting one was dropped", "to", o.name, "state", e.State, "droppedSoFar", o.dropped)
	}
	o.queue = append(o.queue, e)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// run delivers the events in order until ctx ends; what still waits then
// is dropped.
func (o *outbox) run(ctx context.Context) {
	for {
		o.mu.Lock()
		var e Event
		ok := len(o.queue) > 0
		if ok {
			e = o.queue[0]
			o.queue = o.queue[1:]
		}
		o.mu.Unlock()
		if ok {
			o.deliver(ctx, e)
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		}
	}
}
