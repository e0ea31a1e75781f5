package desktoptest

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

func TestNotificationServerRecordsAndInvokesActions(t *testing.T) {
	bus := StartBus(t)
	s := StartNotificationServer(t, bus)
	app := bus.Conn(t)
	if err := app.AddMatchSignal(dbus.WithMatchInterface(notifyName), dbus.WithMatchMember("ActionInvoked")); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan *dbus.Signal, 4)
	app.Signal(sigs)

	var id uint32
	err := app.Object(notifyName, notifyPath).Call(notifyName+".Notify", 0, "ibkr-tray", uint32(0), "",
		"IBKR login needed", "Click Log in.", []string{"login", "Log in"},
		map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(2))}, int32(-1)).Store(&id)
	if err != nil {
		t.Fatal(err)
	}
	n := s.Wait(t, "login needed", func(n Notification) bool { return n.Summary == "IBKR login needed" }, 5*time.Second)
	if n.ID != id || n.Urgency != 2 || n.Body != "Click Log in." || len(n.Actions) != 2 {
		t.Errorf("recorded %+v (id %d)", n, id)
	}
	if err := s.Invoke(id, "login"); err != nil {
		t.Fatal(err)
	}
	select {
	case sig := <-sigs:
		if sig.Body[0].(uint32) != id || sig.Body[1].(string) != "login" {
			t.Errorf("signal body %v", sig.Body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no ActionInvoked signal")
	}
}
