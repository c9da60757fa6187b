package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/config"
)

// adminClient talks to the admin API of a running tinyscale, for the
// `servers` and `meetings` commands.
type adminClient struct {
	base  string // http://host:port, without the API prefix
	token string
	http  *http.Client
}

// adminFlags are the flags every admin command takes.
type adminFlags struct {
	url, token string
	json       bool
}

// register adds the common flags to fs, defaulting to the environment.
func (f *adminFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "url", defaultAdminURL(os.Getenv), "the running tinyscale (TINYSCALE_ADMIN_URL)")
	fs.StringVar(&f.token, "token", os.Getenv("TINYSCALE_ADMIN_TOKEN"), "the admin token (TINYSCALE_ADMIN_TOKEN; prefer the variable: flags show in ps)")
	fs.BoolVar(&f.json, "json", false, "print the API's JSON answer instead of a table")
}

func (f *adminFlags) client() *adminClient {
	return &adminClient{base: strings.TrimRight(f.url, "/"), token: f.token, http: &http.Client{Timeout: 2 * time.Minute}}
}

// defaultAdminURL is TINYSCALE_ADMIN_URL, else tinyscale on this machine
// at the port serve would use (TINYSCALE_LISTEN's, else PORT, else 8000).
func defaultAdminURL(getenv func(string) string) string {
	if u := getenv("TINYSCALE_ADMIN_URL"); u != "" {
		return u
	}
	port := getenv("PORT")
	if l := getenv("TINYSCALE_LISTEN"); l != "" {
		if _, p, err := net.SplitHostPort(l); err == nil && p != "" {
			port = p
		}
	}
	if port == "" {
		port = config.DefaultPort
	}
	return "http://127.0.0.1:" + port
}

// parseInterspersed parses flags wherever they stand among the
// arguments (`servers panic bbb1 --yes` as well as `--yes bbb1`) and
// returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// do calls the admin API: method on path (under admin.Prefix) with body
// as JSON, and decodes the answer into out. raw, if not nil, gets the
// answer's bytes (for --json). Errors say what to do about them.
func (c *adminClient) do(ctx context.Context, method, path string, body, out any, raw *[]byte) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	u := c.base + admin.Prefix + path
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("TINYSCALE_ADMIN_URL=%q: %v; write it as http://host:port", c.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || isDialError(err) {
			return fmt.Errorf("cannot connect to %s: is tinyscale running at %s? (set TINYSCALE_ADMIN_URL)", c.base, c.base)
		}
		return fmt.Errorf("%s %s: %v", method, u, unwrapURLError(err))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %v", method, u, err)
	}
	var e admin.ErrorBody
	if res.StatusCode >= 300 {
		json.Unmarshal(data, &e)
	}
	switch {
	case res.StatusCode == http.StatusUnauthorized && c.token == "":
		return errors.New("TINYSCALE_ADMIN_TOKEN is not set: set it to the token tinyscale serve runs with")
	case res.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("wrong TINYSCALE_ADMIN_TOKEN: the admin API at %s refused it; use the token tinyscale serve runs with", c.base)
	case res.StatusCode == http.StatusNotFound && strings.HasPrefix(e.Error, "admin API disabled"):
		return fmt.Errorf("the admin API is off at %s: start tinyscale serve with TINYSCALE_ADMIN_TOKEN set, and use the same token here", c.base)
	case res.StatusCode >= 300 && e.Error != "":
		return errors.New(e.Error)
	case res.StatusCode >= 300:
		return fmt.Errorf("%s %s: HTTP %d: is %s tinyscale's address? (set TINYSCALE_ADMIN_URL)", method, u, res.StatusCode, c.base)
	}
	if raw != nil {
		*raw = data
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: answer is not the admin API's JSON (%v): is %s tinyscale's address?", method, u, err, c.base)
		}
	}
	return nil
}

// isDialError reports whether err happened while connecting.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// unwrapURLError drops the "Get URL:" prefix net/http adds: the message
// already names the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ago says how long ago t was, in the largest unit: "3s ago", "5m ago";
// "never" for the zero time.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// writeIndented prints v as indented JSON, as the API does.
func writeIndented(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
