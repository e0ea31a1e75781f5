package autostart

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// plistFile is ~/Library/LaunchAgents/io.github.NAME.plist.
func (a Entry) plistFile() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find your home folder for the login item: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", a.label()+".plist"), nil
}

func (a Entry) label() string { return "io.github." + a.name() }

func (a Entry) installed() bool {
	path, err := a.plistFile()
	if err != nil {
		return false
	}
	_, err = os.Stat(path)
	return err == nil
}

func (a Entry) install() error {
	path, err := a.plistFile()
	if err != nil {
		return err
	}
	args, err := a.args()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key><string>`)
	xml.EscapeText(&b, []byte(a.label()))
	b.WriteString("</string>\n\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, s := range args {
		b.WriteString("\t\t<string>")
		xml.EscapeText(&b, []byte(s))
		b.WriteString("</string>\n")
	}
	b.WriteString("\t</array>\n\t<key>RunAtLoad</key><true/>\n\t<key>ProcessType</key><string>Interactive</string>\n</dict>\n</plist>\n")
	return writeEntry(path, "the login item", []byte(b.String()))
}

func (a Entry) remove() error {
	path, err := a.plistFile()
	if err != nil {
		return err
	}
	return removeEntry(path, "the login item")
}
