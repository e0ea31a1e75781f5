package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/ibkr-tray/ibkr-tray/gateway/fsutil"
)

// File returns a store in the file at path, for computers without a
// keyring service. The file must be a regular file of the user's own with
// mode 0600 or stricter, not a symbolic link; any other file is refused
// (ErrInsecureFile). Set
// creates it with mode 0600. The format is JSON:
//
//	{"profiles": {"default": {"username": "...", "password": "...", "totpSecret": "..."}}}
func File(path string) Store { return &fileStore{path: path} }

type fileStore struct {
	path string
	mu   sync.Mutex // serialises this process's read-modify-write
}

type fileContent struct {
	Profiles map[string]Credentials `json:"profiles"`
}

func (f *fileStore) Where() string { return "the secrets file " + f.path }

func (f *fileStore) Get(ctx context.Context, profile string) (Credentials, error) {
	if err := checkProfile(profile); err != nil {
		return Credentials{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	content, err := f.read()
	if err != nil {
		return Credentials{}, err
	}
	c, ok := content.Profiles[profile]
	if !ok {
		return Credentials{}, f.notFound(profile, nil)
	}
	return c, nil
}

func (f *fileStore) Set(ctx context.Context, profile string, c Credentials) error {
	if err := checkProfile(profile); err != nil {
		return err
	}
	c, err := prepare(c)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	content, err := f.read()
	if errors.Is(err, ErrNotFound) {
		content, err = fileContent{}, nil
	}
	if err != nil {
		return err
	}
	if content.Profiles == nil {
		content.Profiles = map[string]Credentials{}
	}
	content.Profiles[profile] = c
	return f.write(content)
}

func (f *fileStore) Delete(ctx context.Context, profile string) error {
	if err := checkProfile(profile); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	content, err := f.read()
	if err != nil {
		return err
	}
	if _, ok := content.Profiles[profile]; !ok {
		return f.notFound(profile, nil)
	}
	delete(content.Profiles, profile)
	return f.write(content)
}

func (f *fileStore) notFound(profile string, cause error) error {
	return newError(ErrNotFound, fmt.Sprintf(
		"No credentials are stored for profile %q in %s; store them with `ibkr-tray secrets set --profile %s --file %s`.",
		profile, f.path, profile, f.path), cause)
}

// read checks the file's owner and mode, then parses it. A missing file
// is ErrNotFound; a symbolic link is refused.
func (f *fileStore) read() (fileContent, error) {
	var content fileContent
	if f.path == "" {
		return content, newError(ErrInvalid, "No secrets file was named; give its path.", nil)
	}
	info, err := os.Lstat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return content, newError(ErrNotFound, fmt.Sprintf(
			"The secrets file %s does not exist; create it with `ibkr-tray secrets set --file %s`.", f.path, f.path), err)
	}
	if err != nil {
		return content, fmt.Errorf("cannot read the secrets file %s: %w", f.path, err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return content, f.symlinkError(nil)
	}
	// Opened without following a link, and checked through the open file,
	// so a link put in its place after the check is not read either.
	file, err := openNoFollow(f.path)
	if isSymlinkError(err) {
		return content, f.symlinkError(err)
	}
	if err != nil {
		return content, fmt.Errorf("cannot read the secrets file %s: %w", f.path, err)
	}
	defer file.Close()
	if info, err = file.Stat(); err != nil {
		return content, fmt.Errorf("cannot read the secrets file %s: %w", f.path, err)
	}
	if err := checkPrivate(f.path, info); err != nil {
		return content, err
	}
	b, err := io.ReadAll(file)
	if err != nil {
		return content, fmt.Errorf("cannot read the secrets file %s: %w", f.path, err)
	}
	if err := json.Unmarshal(b, &content); err != nil {
		// The JSON error could quote a secret: say where, not what.
		return content, fmt.Errorf("the secrets file %s is not in the format this app writes (%s); fix it or delete it and store the credentials again", f.path, jsonPlace(err))
	}
	return content, nil
}

// symlinkError says why a link is refused: whoever can change the link
// chooses which file the passwords are read from and written to.
func (f *fileStore) symlinkError(cause error) error {
	target, _ := os.Readlink(f.path)
	to := ""
	if target != "" {
		to = " (to " + target + ")"
	}
	return newError(ErrInsecureFile, fmt.Sprintf(
		"The secrets file %s is a symbolic link%s, which ibkr-tray refuses: whoever can change a link chooses the file your passwords go to. Name the file itself in the settings, or replace the link with the file.",
		f.path, to), cause)
}

// jsonPlace says where a JSON error is without quoting the content.
func jsonPlace(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("a syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("a value of the wrong type at %q", te.Field)
	}
	return "it is not JSON"
}

// write replaces the file atomically (fsutil.WriteFile) with a new one of
// mode 0600.
func (f *fileStore) write(content fileContent) error {
	b, err := json.MarshalIndent(content, "", "  ")
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(f.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("cannot write the secrets file %s: %w", f.path, err)
	}
	return nil
}
