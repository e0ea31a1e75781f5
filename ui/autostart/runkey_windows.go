package autostart

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/windows/registry"
)

const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

func (a Entry) installed() bool {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	_, _, err = k.GetStringValue(a.name())
	return err == nil
}

func (a Entry) install() error {
	args, err := a.args()
	if err != nil {
		return err
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("cannot open the Run key in the registry: %w", err)
	}
	defer k.Close()
	quoted := make([]string, len(args))
	for i, s := range args {
		quoted[i] = `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	}
	if err := k.SetStringValue(a.name(), strings.Join(quoted, " ")); err != nil {
		return fmt.Errorf("cannot write the Run key in the registry: %w", err)
	}
	return nil
}

func (a Entry) remove() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("cannot open the Run key in the registry: %w", err)
	}
	defer k.Close()
	if err := k.DeleteValue(a.name()); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("cannot remove the Run key value: %w", err)
	}
	return nil
}
