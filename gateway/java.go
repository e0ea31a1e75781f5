package gateway

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"time"
)

// JREHint says what to install when Java is missing.
const JREHint = "install a Java runtime, version 8 or newer (for example OpenJDK 17: `sudo apt install openjdk-17-jre-headless` on Debian/Ubuntu, `brew install openjdk@17` on macOS, or a JRE from https://adoptium.net), then set JAVA_HOME or put java on your PATH"

// Java is the Java runtime the gateway will run with.
type Java struct {
	Path    string // the java executable
	Home    string // JAVA_HOME when java was found there, else ""
	Version string // e.g. "17.0.15", "1.8.0_392"
}

// FindJava looks for java in $JAVA_HOME/bin first, then on PATH, and reads
// its version.
func FindJava() (Java, error) {
	exe := "java"
	if runtime.GOOS == "windows" {
		exe = "java.exe"
	}
	var j Java
	if home := os.Getenv("JAVA_HOME"); home != "" {
		p := filepath.Join(home, "bin", exe)
		if _, err := os.Stat(p); err != nil {
			return Java{}, fmt.Errorf("JAVA_HOME is set to %s, but it has no bin/%s; fix JAVA_HOME or unset it to use java from PATH", home, exe)
		}
		j = Java{Path: p, Home: home}
	} else {
		p, err := exec.LookPath(exe)
		if err != nil {
			return Java{}, fmt.Errorf("java was not found (JAVA_HOME is not set and there is no java on PATH) and the gateway needs it; %s", JREHint)
		}
		j.Path = p
	}
	v, err := javaVersion(j.Path)
	if err != nil {
		return Java{}, err
	}
	j.Version = v
	return j, nil
}

var javaVersionRe = regexp.MustCompile(`version "([^"]+)"`)

// javaVersion runs `java -version`, which prints to stderr, e.g.
// `openjdk version "17.0.15" 2025-04-15`.
func javaVersion(path string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-version").CombinedOutput()
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("%s -version did not answer within 15s; check the Java installation", path)
		}
		return "", fmt.Errorf("%s -version failed (%v); reinstall Java: %s", path, err, JREHint)
	}
	m := javaVersionRe.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s -version printed no version; reinstall Java: %s", path, JREHint)
	}
	return string(m[1]), nil
}
