package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/ibkr-tray/ibkr-tray/gateway/fsutil"
)

// DownloadPage is where IBKR offers the Client Portal Gateway (the zip
// linked from IBKR's Client Portal Web API documentation).
const DownloadPage = "https://download2.interactivebrokers.com/portal/clientportal.gw.zip"

// Dist is a checked gateway distribution (the unzipped clientportal.gw
// folder, or a simulator folder written by `ibkr-tray sim dist`).
type Dist struct {
	Dir       string // absolute distribution root
	RunScript string // bin/run.sh (bin\run.bat on Windows), relative to Dir
	Conf      string // root/conf.yaml, relative to Dir
	Port      int    // listenPort in the conf
	SSL       bool   // listenSsl in the conf
	Simulator bool   // root/SIMULATOR exists: no Java needed
}

// Scheme is "https" when the gateway listens with TLS.
func (d Dist) Scheme() string {
	if d.SSL {
		return "https"
	}
	return "http"
}

// runScript is the start script's path for this OS, relative to the root.
func runScript() string {
	if runtime.GOOS == "windows" {
		return filepath.Join("bin", "run.bat")
	}
	return filepath.Join("bin", "run.sh")
}

// CheckDist checks that dir holds a gateway distribution and reads its
// port. Errors are sentences that say which folder, what is missing and
// where to get it.
func CheckDist(dir string) (Dist, error) {
	if dir == "" {
		return Dist{}, errors.New("no gateway folder is configured; download the Client Portal Gateway from " + DownloadPage + ", unzip it, and choose that folder")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Dist{}, fmt.Errorf("the gateway folder %q is not a usable path: %w", dir, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Dist{}, fmt.Errorf("the gateway folder %s does not exist; download the Client Portal Gateway from %s, unzip it, and choose the unzipped folder", abs, DownloadPage)
	case err != nil:
		return Dist{}, fmt.Errorf("cannot open the gateway folder %s: %w", abs, err)
	case !st.IsDir():
		return Dist{}, fmt.Errorf("%s is a file, not a folder; unzip clientportal.gw.zip and choose the unzipped folder", abs)
	}
	d := Dist{Dir: abs, RunScript: runScript(), Conf: filepath.Join("root", "conf.yaml")}
	if _, err := os.Stat(filepath.Join(abs, d.RunScript)); err != nil {
		return Dist{}, fmt.Errorf("the folder %s has no %s, so it is not a Client Portal Gateway folder; choose the folder that contains bin and root (unzipped from clientportal.gw.zip, from %s)", abs, d.RunScript, DownloadPage)
	}
	b, err := os.ReadFile(filepath.Join(abs, d.Conf))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Dist{}, fmt.Errorf("the folder %s has no %s; unzip clientportal.gw.zip again (from %s) or restore that file", abs, d.Conf, DownloadPage)
		}
		return Dist{}, fmt.Errorf("cannot read %s: %v; check the file's permissions", filepath.Join(abs, d.Conf), err)
	}
	d.Port, d.SSL, err = parseConf(b)
	if err != nil {
		return Dist{}, fmt.Errorf("cannot read %s: %v; fix the file or unzip clientportal.gw.zip again", filepath.Join(abs, d.Conf), err)
	}
	if _, err := os.Stat(filepath.Join(abs, "root", "SIMULATOR")); err == nil {
		d.Simulator = true
	}
	return d, nil
}

// parseConf reads listenPort and listenSsl from a conf.yaml.
func parseConf(b []byte) (port int, ssl bool, err error) {
	var c struct {
		ListenPort *int  `yaml:"listenPort"`
		ListenSSL  *bool `yaml:"listenSsl"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		return 0, false, fmt.Errorf("it is not valid YAML (%v)", err)
	}
	if c.ListenPort == nil {
		return 0, false, errors.New("it has no listenPort")
	}
	if *c.ListenPort < 1 || *c.ListenPort > 65535 {
		return 0, false, fmt.Errorf("listenPort %d is not a TCP port", *c.ListenPort)
	}
	ssl = true // the gateway's default
	if c.ListenSSL != nil {
		ssl = *c.ListenSSL
	}
	return *c.ListenPort, ssl, nil
}

// PortConf is the copy of conf.yaml the app writes when the user chose
// another port or the local CA's keystore (docs/headless.md, "Verified
// TLS"). It sits next to conf.yaml because the gateway resolves the conf
// path relative to the distribution root; the user's conf.yaml is never
// edited. It is mode 0600: it can hold the keystore password. It is the
// default profile's; every other profile has its own (OverlayName), so two
// profiles sharing one folder with two ports never overwrite each other's.
const PortConf = "conf.ibkr-tray.yaml"

// OverlayName is the profile's copy of conf.yaml in root/: PortConf for the
// default profile ("" or "default"), conf.ibkr-tray-PROFILE.yaml for another.
func OverlayName(profile string) string {
	if profile == "" || profile == "default" {
		return PortConf
	}
	return "conf.ibkr-tray-" + profile + ".yaml"
}

// Keystore is the certificate the gateway serves: sslCert (a Java
// keystore, relative to root/) and its password sslPwd.
type Keystore struct {
	File     string
	Password string
}

var (
	listenPortLine = regexp.MustCompile(`(?m)^(\s*listenPort\s*:\s*)("?)\d+("?)(.*)$`)
	sslCertLine    = regexp.MustCompile(`(?m)^sslCert\s*:.*$`)
	sslPwdLine     = regexp.MustCompile(`(?m)^sslPwd\s*:.*$`)
)

// writePortConf writes the profile's root/conf.ibkr-tray*.yaml: the
// distribution's conf with only the listenPort line changed. It returns the
// path relative to the root, to pass to run.sh.
func writePortConf(d Dist, profile string, port int) (string, error) {
	return writeOverlay(d, profile, port, nil)
}

// WriteOverlay writes root/conf.ibkr-tray.yaml (the default profile's):
// the distribution's conf with listenPort set to port and, with ks, sslCert
// and sslPwd set to it. Nothing else changes. It returns the path relative
// to the root, to pass to run.sh.
func WriteOverlay(d Dist, port int, ks *Keystore) (string, error) {
	return writeOverlay(d, "", port, ks)
}

// WriteProfileOverlay is WriteOverlay for a profile: it writes
// root/OverlayName(profile).
func WriteProfileOverlay(d Dist, profile string, port int, ks *Keystore) (string, error) {
	return writeOverlay(d, profile, port, ks)
}

func writeOverlay(d Dist, profile string, port int, ks *Keystore) (string, error) {
	src := filepath.Join(d.Dir, d.Conf)
	b, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", src, err)
	}
	locs := listenPortLine.FindAllSubmatchIndex(b, -1)
	if len(locs) != 1 {
		return "", fmt.Errorf("cannot change the port: %s should have exactly one listenPort line, it has %d", src, len(locs))
	}
	m := locs[0]
	var out bytes.Buffer
	out.Write(b[:m[3]])     // up to and including "listenPort: "
	out.Write(b[m[4]:m[5]]) // opening quote, if any
	out.WriteString(strconv.Itoa(port))
	out.Write(b[m[6]:]) // closing quote, rest of the line and file
	conf := out.Bytes()
	if ks != nil {
		// Quoted: the local CA's password is URL-safe base64, but a
		// keystore name or a hand-set password may hold YAML's specials.
		conf = setTopKey(conf, sslCertLine, "sslCert", ks.File)
		conf = setTopKey(conf, sslPwdLine, "sslPwd", ks.Password)
	}
	rel := filepath.Join("root", OverlayName(profile))
	dst := filepath.Join(d.Dir, rel)
	if err := fsutil.WriteFile(dst, conf, 0o600); err != nil {
		return "", fmt.Errorf("cannot write %s (a copy of conf.yaml with port %d; your conf.yaml stays as it is): %w", dst, port, err)
	}
	return rel, nil
}

// setTopKey replaces the top-level line key: ... with key: "value", or
// appends it when the conf has none.
func setTopKey(conf []byte, line *regexp.Regexp, key, value string) []byte {
	kv := []byte(key + ": " + strconv.Quote(value))
	if line.Match(conf) {
		return line.ReplaceAllLiteral(conf, kv)
	}
	if len(conf) > 0 && conf[len(conf)-1] != '\n' {
		conf = append(conf, '\n')
	}
	return append(append(conf, kv...), '\n')
}

// ReadOverlayKeystore reads sslCert and sslPwd from root/conf.ibkr-tray.yaml,
// where `ibkr-tray tls setup` put them.
func ReadOverlayKeystore(d Dist) (Keystore, error) { return readOverlayKeystore(d, PortConf) }

// ReadProfileOverlayKeystore reads them from the profile's overlay, else
// (a profile that shares the folder but never ran tls setup) from the
// default profile's.
func ReadProfileOverlayKeystore(d Dist, profile string) (Keystore, error) {
	ks, err := readOverlayKeystore(d, OverlayName(profile))
	if errors.Is(err, fs.ErrNotExist) && OverlayName(profile) != PortConf {
		return readOverlayKeystore(d, PortConf)
	}
	return ks, err
}

func readOverlayKeystore(d Dist, name string) (Keystore, error) {
	path := filepath.Join(d.Dir, "root", name)
	b, err := os.ReadFile(path)
	if err != nil {
		return Keystore{}, err
	}
	var c struct {
		SSLCert string `yaml:"sslCert"`
		SSLPwd  string `yaml:"sslPwd"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		return Keystore{}, fmt.Errorf("%s is not valid YAML (%v)", path, err)
	}
	if c.SSLCert == "" {
		return Keystore{}, fmt.Errorf("%s has no sslCert", path)
	}
	return Keystore{File: c.SSLCert, Password: c.SSLPwd}, nil
}
