package gateway

import "time"

// State is where the supervisor stands with the gateway process. Values are
// explicit because they are written to the status endpoint.
type State int

const (
	Stopped      State = 1 // no gateway process, none wanted (or not yet started)
	Starting     State = 2 // process started, waiting for GET / to answer
	Running      State = 3 // our process, answering
	Adopted      State = 4 // a gateway we did not start answers on the port; we watch it only
	Unresponsive State = 5 // the process lives but GET / stopped answering
	Restarting   State = 6 // waiting out the back-off before the next start
	Failed       State = 7 // gave up (too many failures, or a problem the user must fix)
)

func (s State) String() string {
	switch s {
	case Stopped:
		return "Stopped"
	case Starting:
		return "Starting"
	case Running:
		return "Running"
	case Adopted:
		return "Adopted"
	case Unresponsive:
		return "Unresponsive"
	case Restarting:
		return "Restarting"
	case Failed:
		return "Failed"
	}
	return "Unknown"
}

// MarshalText writes the state by name in JSON and logs.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state written by MarshalText.
func (s *State) UnmarshalText(b []byte) error {
	for v := Stopped; v <= Failed; v++ {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	*s = 0
	return nil
}

// Up reports whether a gateway answers in this state.
func (s State) Up() bool { return s == Running || s == Adopted }

// Status is a snapshot of the supervisor, safe to keep and read from any
// goroutine.
type Status struct {
	State  State     `json:"state"`
	Reason string    `json:"reason,omitempty"` // why, in words (for Failed: what to do)
	Since  time.Time `json:"since"`

	Dir       string    `json:"dir,omitempty"`  // distribution folder
	Port      int       `json:"port,omitempty"` // listen port
	URL       string    `json:"url,omitempty"`  // https://localhost:PORT
	PID       int       `json:"pid,omitempty"`  // run.sh's pid (the process group leader)
	Started   time.Time `json:"started,omitzero"`
	Restarts  int       `json:"restarts"`
	LastExit  string    `json:"lastExit,omitempty"` // e.g. "exit status 1", "signal: killed"
	RetryAt   time.Time `json:"retryAt,omitzero"`   // in Restarting: when the next start happens
	Version   string    `json:"version,omitempty"`  // from the gateway's log, when known
	Simulator bool      `json:"simulator,omitempty"`
	// LastLines holds the last lines of the gateway's output when Failed.
	LastLines []string `json:"lastLines,omitempty"`
}

// Uptime is how long the gateway has been up, or 0.
func (st Status) Uptime(now time.Time) time.Duration {
	if st.Started.IsZero() || (!st.State.Up() && st.State != Unresponsive) {
		return 0
	}
	return now.Sub(st.Started)
}
