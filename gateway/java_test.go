//go:build unix

package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeJava writes DIR/bin/java printing a version to stderr like the real one.
func fakeJava(t *testing.T, version string) string {
	t.Helper()
	home := t.TempDir()
	script := "#!/bin/sh\necho 'openjdk version \"" + version + "\" 2025-04-15' >&2\necho 'OpenJDK Runtime Environment' >&2\n"
	if err := os.MkdirAll(filepath.Join(home, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "bin", "java"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestFindJava(t *testing.T) {
	homeJava := fakeJava(t, "17.0.15")
	pathJava := fakeJava(t, "1.8.0_392")
	empty := t.TempDir()
	tests := []struct {
		name        string
		javaHome    string
		path        string
		wantVersion string
		wantHome    string
		wantErr     []string
	}{
		{"JAVA_HOME comes first", homeJava, filepath.Join(pathJava, "bin"), "17.0.15", homeJava, nil},
		{"then PATH", "", filepath.Join(pathJava, "bin"), "1.8.0_392", "", nil},
		{"JAVA_HOME without java", empty, filepath.Join(pathJava, "bin"), "", "", []string{"JAVA_HOME is set to " + empty, "no bin/java"}},
		{"no Java anywhere", "", empty, "", "", []string{"java was not found", "install a Java runtime", "adoptium"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("JAVA_HOME", tt.javaHome)
			t.Setenv("PATH", tt.path)
			j, err := FindJava()
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("found %+v", j)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if j.Version != tt.wantVersion || j.Home != tt.wantHome {
				t.Errorf("FindJava = %+v", j)
			}
		})
	}
}

func TestRealDistributionNeedsJava(t *testing.T) {
	dir := writeFiles(t, map[string]string{"bin/run.sh": "#!/bin/bash\n", "root/conf.yaml": realConf})
	t.Setenv("JAVA_HOME", "")
	t.Setenv("PATH", t.TempDir())
	_, err := NewSupervisor(Config{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "java was not found") {
		t.Errorf("NewSupervisor without Java: %v", err)
	}
	home := fakeJava(t, "17.0.15")
	t.Setenv("JAVA_HOME", home)
	s, err := NewSupervisor(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s.Java().Version != "17.0.15" {
		t.Errorf("Java = %+v", s.Java())
	}
	env := strings.Join(s.childEnv(), "\n")
	if !strings.Contains(env, "JAVA_HOME="+home+"\n") || !strings.Contains(env, "PATH="+filepath.Join(home, "bin")+":") {
		t.Errorf("the child's environment does not lead to the Java found:\n%s", env)
	}
}

func TestChildEnvironmentHoldsNoSecrets(t *testing.T) {
	t.Setenv("IBKR_PASSWORD", "hunter2")
	t.Setenv("MY_TOTP_SECRET", "JBSWY3DPEHPK3PXP")
	t.Setenv("GITHUB_TOKEN", "ghp_x")
	t.Setenv("HARMLESS", "yes")
	s := &Supervisor{cfg: Config{Env: []string{"EXTRA=1"}}}
	env := strings.Join(s.childEnv(), "\n")
	for _, secret := range []string{"hunter2", "JBSWY3DPEHPK3PXP", "ghp_x"} {
		if strings.Contains(env, secret) {
			t.Errorf("the child's environment holds %q", secret)
		}
	}
	if !strings.Contains(env, "HARMLESS=yes") || !strings.Contains(env, "EXTRA=1") {
		t.Errorf("the child's environment lost ordinary variables")
	}
}

func TestRealDistributionRunsWithTheJavaFound(t *testing.T) {
	port := freePort(t)
	dir := writeFakeDist(t, port)
	if err := os.Remove(filepath.Join(dir, "root", "SIMULATOR")); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	// Like the real run.sh, it runs `java` from PATH.
	runSh := "#!/bin/bash\ncd \"$(dirname \"$0\")/..\" || exit 1\necho \"java says: $(java -version 2>&1 | head -1)\"\n'" + exe + "' fake \"$1\"\nexit $?\n"
	if err := os.WriteFile(filepath.Join(dir, "bin", "run.sh"), []byte(runSh), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JAVA_HOME", fakeJava(t, "11.0.99"))
	r := startSupervisor(t, fastConfig(t, dir, childEnv+"=fake"))
	st := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	if st.Simulator {
		t.Errorf("a real distribution reported as the simulator")
	}
	waitFor(t, r.Supervisor, 5*time.Second, "run.sh's java line", func(Status) bool {
		return strings.Contains(strings.Join(r.Output(), "\n"), `java says: openjdk version "11.0.99"`)
	})
}
