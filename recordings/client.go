package recordings

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Folder is one published recording folder to push: its recording ID and
// format, read from its metadata.xml.
type Folder struct {
	Dir, RecordID, Format string
}

// ReadFolder reads a published folder's metadata.xml.
func ReadFolder(dir string) (Folder, error) {
	f, err := os.Open(filepath.Join(dir, "metadata.xml"))
	if err != nil {
		return Folder{}, fmt.Errorf("%s is not a published recording folder: %w", dir, err)
	}
	defer f.Close()
	md, err := parseMetadata(f)
	if err != nil {
		return Folder{}, fmt.Errorf("%s: %w", dir, err)
	}
	if !ValidRecordID(md.ID) || !ValidFormat(md.Playback.Format) {
		return Folder{}, fmt.Errorf("%s: metadata.xml names no valid recording ID and playback format", dir)
	}
	return Folder{Dir: dir, RecordID: md.ID, Format: md.Playback.Format}, nil
}

// WriteTar writes the folder as a tar stream: metadata.xml first, then
// every regular file and directory in lexical order. Symbolic links are
// followed only inside the folder (BBB links nothing out of it).
func (f Folder) WriteTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	var names []string
	err := filepath.WalkDir(f.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(f.Dir, p)
		if rel == "." || rel == "metadata.xml" {
			return nil
		}
		names = append(names, rel)
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(names)
	root, err := os.OpenRoot(f.Dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, rel := range append([]string{"metadata.xml"}, names...) {
		info, err := root.Stat(rel)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		switch {
		case info.IsDir():
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: info.ModTime()}); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: info.Size(), ModTime: info.ModTime()}); err != nil {
				return err
			}
			file, err := root.Open(rel)
			if err != nil {
				return err
			}
			_, err = io.CopyN(tw, file, info.Size())
			file.Close()
			if err != nil {
				return fmt.Errorf("%s changed while it was read: %w", rel, err)
			}
		}
	}
	return tw.Close()
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// measure reads the folder once to learn its tar stream's size and SHA-256,
// which the push is signed with.
func (f Folder) measure() (int64, string, error) {
	h, c := sha256.New(), &counter{}
	if err := f.WriteTar(io.MultiWriter(h, c)); err != nil {
		return 0, "", err
	}
	return c.n, hex.EncodeToString(h.Sum(nil)), nil
}

// Pusher pushes folders to tinyscale.
type Pusher struct {
	// URL is tinyscale's address (TINYSCALE_URL).
	URL string
	// Secret is this BBB server's secret (securitySalt).
	Secret string
	// AdminToken, when set, imports through the admin API instead
	// (tinyscale recordings import, on the tinyscale host): URL is then
	// the admin URL and Secret is not used.
	AdminToken string
	HTTP       *http.Client
	// Deadline bounds a push with its retries (default 10 minutes).
	Deadline time.Duration
	// Log, if set, is told of each failed attempt.
	Log func(format string, args ...any)
}

// errFinal is an answer that another attempt would not change.
type errFinal struct{ error }

// Push pushes one folder and returns once tinyscale stored it durably.
// Failures that may pass (tinyscale restarting, a network cut, a full
// disk) are retried with growing pauses until the deadline; a refusal
// (wrong secret, a folder that is no recording) is not.
func (p *Pusher) Push(ctx context.Context, f Folder) error {
	deadline := p.Deadline
	if deadline == 0 {
		deadline = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	pause := time.Second
	for attempt := 1; ; attempt++ {
		err := p.once(ctx, f)
		var final errFinal
		if err == nil || errors.As(err, &final) {
			return err
		}
		if p.Log != nil {
			p.Log("push %s (%s) attempt %d failed: %v; retrying in %v", f.RecordID, f.Format, attempt, err, pause)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("push %s (%s): gave up after %d attempts: %w", f.RecordID, f.Format, attempt, err)
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

func (p *Pusher) once(ctx context.Context, f Folder) error {
	size, sum, err := f.measure()
	if err != nil {
		return errFinal{err}
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(f.WriteTar(pw)) }()
	defer pr.Close()
	u := strings.TrimRight(p.URL, "/") + PushPath + "?" + PushQuery(f.RecordID, f.Format, size, sum, time.Now(), p.Secret)
	if p.AdminToken != "" {
		u = strings.TrimRight(p.URL, "/") + AdminPrefix + "/import?" + url.Values{"recordID": {f.RecordID}, "format": {f.Format},
			"size": {strconv.FormatInt(size, 10)}, "sha256": {sum}}.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, pr)
	if err != nil {
		return errFinal{err}
	}
	if p.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+p.AdminToken)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/x-tar")
	hc := p.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		// Not the URL: its signed query would show in the logs.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("POST %s%s: %w", strings.TrimRight(p.URL, "/"), PushPath, err)
	}
	defer res.Body.Close()
	var a pushAnswer
	json.NewDecoder(io.LimitReader(res.Body, 1<<16)).Decode(&a)
	if a.Error == "" && res.StatusCode == http.StatusUnauthorized && p.AdminToken != "" {
		a.Error = "the admin API refused TINYSCALE_ADMIN_TOKEN"
	}
	switch {
	case res.StatusCode == http.StatusOK && a.Stored:
		return nil
	case res.StatusCode == http.StatusUnauthorized, res.StatusCode == http.StatusBadRequest,
		res.StatusCode == http.StatusNotFound, res.StatusCode == http.StatusMethodNotAllowed:
		if a.Error == "" {
			a.Error = res.Status + " (is TINYSCALE_URL tinyscale's address, with TINYSCALE_RECORDINGS set there?)"
		}
		return errFinal{fmt.Errorf("push %s (%s) refused: %s", f.RecordID, f.Format, a.Error)}
	default:
		if a.Error == "" {
			a.Error = res.Status
		}
		return fmt.Errorf("tinyscale answered %s", a.Error)
	}
}
