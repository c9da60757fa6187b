package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tinyscale/tinyscale/recordings"
)

const recordingsUsage = `tinyscale recordings: tinyscale's own recording store (docs/recordings.md).

Usage:
  tinyscale recordings push DIR...      on a BBB server: push published recording folders
                                        (/var/bigbluebutton/published/<format>/<recordID>) to tinyscale
  tinyscale recordings import DIR...    on the tinyscale host, while tinyscale runs: import folders
                                        (or a whole published/ tree) from local disk
  tinyscale recordings list [--tenant T] [--meeting ID]
  tinyscale recordings show RECORD_ID
  tinyscale recordings delete RECORD_ID --yes
                                        delete for good: files and index entry

push reads tinyscale's address from TINYSCALE_URL (or --url) and the BBB server's secret from
BBB_SECRET, else securitySalt in /etc/bigbluebutton/bbb-web.properties or
/usr/share/bbb-web/WEB-INF/classes/bigbluebutton.properties. It exits 0 only once tinyscale stored
each folder durably, and retries on its own for up to --deadline (10m).
import, list, show and delete use TINYSCALE_ADMIN_URL and TINYSCALE_ADMIN_TOKEN, as the other
admin commands do.
`

func recordingsCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, recordingsUsage)
		return nil
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "push":
		return recordingsPush(ctx, args, stdout)
	case "import":
		return recordingsImport(ctx, args, stdout)
	case "list":
		return recordingsList(ctx, args, stdout)
	case "show":
		return recordingsShow(ctx, args, stdout)
	case "delete":
		return recordingsDelete(ctx, args, stdout)
	}
	return fmt.Errorf("unknown recordings command %q\n\n%s", cmd, recordingsUsage)
}

// bbbPropertiesFiles are where bbb-web keeps securitySalt, the later
// overriding the earlier (BBB 2.5+).
var bbbPropertiesFiles = []string{
	"/usr/share/bbb-web/WEB-INF/classes/bigbluebutton.properties",
	"/etc/bigbluebutton/bbb-web.properties",
}

// securitySalt reads the BBB server's secret from its properties files.
func securitySalt(files []string) (string, error) {
	salt := ""
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' || line[0] == '!' {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				k, v, ok = strings.Cut(line, ":")
			}
			if ok && strings.TrimSpace(k) == "securitySalt" {
				salt = strings.TrimSpace(v)
			}
		}
		f.Close()
	}
	if salt == "" {
		return "", fmt.Errorf("no BBB secret: set BBB_SECRET, or run on the BBB server (securitySalt in %s)", strings.Join(files, " or "))
	}
	return salt, nil
}

func recordingsPush(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tinyscale recordings push", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	u := fs.String("url", os.Getenv("TINYSCALE_URL"), "tinyscale's address (TINYSCALE_URL)")
	props := fs.String("properties", strings.Join(bbbPropertiesFiles, ","), "bbb-web properties files to read securitySalt from, comma-separated")
	deadline := fs.Duration("deadline", 10*time.Minute, "give up retrying after this long")
	dirs, err := parseInterspersed(fs, args)
	if err != nil || len(dirs) == 0 {
		return fmt.Errorf("recordings push: give one or more folders (%v)\n\n%s", err, recordingsUsage)
	}
	if *u == "" {
		return errors.New("recordings push: set TINYSCALE_URL (or --url) to tinyscale's address")
	}
	secret := os.Getenv("BBB_SECRET")
	if secret == "" {
		if secret, err = securitySalt(strings.Split(*props, ",")); err != nil {
			return err
		}
	}
	p := &recordings.Pusher{URL: *u, Secret: secret, Deadline: *deadline, HTTP: &http.Client{},
		Log: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "tinyscale: "+f+"\n", a...) }}
	return pushAll(ctx, p, dirs, stdout)
}

func recordingsImport(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tinyscale recordings import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var af adminFlags
	af.register(fs)
	deadline := fs.Duration("deadline", 10*time.Minute, "give up retrying one folder after this long")
	dirs, err := parseInterspersed(fs, args)
	if err != nil || len(dirs) == 0 {
		return fmt.Errorf("recordings import: give one or more folders (%v)\n\n%s", err, recordingsUsage)
	}
	if af.token == "" {
		return errors.New("recordings import: TINYSCALE_ADMIN_TOKEN is not set: set it to the token tinyscale serve runs with")
	}
	var folders []string
	for _, d := range dirs {
		found, err := findFolders(d)
		if err != nil {
			return err
		}
		folders = append(folders, found...)
	}
	p := &recordings.Pusher{URL: af.url, AdminToken: af.token, Deadline: *deadline, HTTP: &http.Client{},
		Log: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "tinyscale: "+f+"\n", a...) }}
	return pushAll(ctx, p, folders, stdout)
}

// findFolders returns dir if it is a recording folder, else the recording
// folders one or two levels below it (published/<format>/<recordID>).
func findFolders(dir string) ([]string, error) {
	if _, err := os.Stat(filepath.Join(dir, "metadata.xml")); err == nil {
		return []string{dir}, nil
	}
	var out []string
	for _, pattern := range []string{"*/metadata.xml", "*/*/metadata.xml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, f := range m {
			out = append(out, filepath.Dir(f))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no published recording folder (one with a metadata.xml)", dir)
	}
	return out, nil
}

// pushAll pushes every folder and fails if any failed.
func pushAll(ctx context.Context, p *recordings.Pusher, dirs []string, stdout io.Writer) error {
	failed := 0
	for _, d := range dirs {
		f, err := recordings.ReadFolder(d)
		if err == nil {
			err = p.Push(ctx, f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "tinyscale:", err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "stored %s (%s)\n", f.RecordID, f.Format)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d folders not stored", failed, len(dirs))
	}
	return nil
}

func recordingsList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tinyscale recordings list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var af adminFlags
	af.register(fs)
	tenantName := fs.String("tenant", "", "only this tenant's recordings")
	meeting := fs.String("meeting", "", "only this meeting's recordings (the tenant's own meeting ID)")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) > 0 {
		return fmt.Errorf("recordings list: bad arguments (%v)\n\n%s", err, recordingsUsage)
	}
	q := []string{}
	if *tenantName != "" {
		q = append(q, "tenant="+url.QueryEscape(*tenantName))
	}
	if *meeting != "" {
		q = append(q, "meetingID="+url.QueryEscape(*meeting))
	}
	path := "recordings"
	if len(q) > 0 {
		path += "?" + strings.Join(q, "&")
	}
	var list []recordings.AdminRecording
	var raw []byte
	if err := af.client().do(ctx, http.MethodGet, path, nil, &list, &raw); err != nil {
		return err
	}
	if af.json {
		_, err := stdout.Write(raw)
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECORD ID\tTENANT\tMEETING\tSTATE\tSTARTED\tFORMATS\tORIGIN")
	for _, r := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.RecordID, r.Tenant, r.MeetingID, r.State,
			time.UnixMilli(r.StartTime).UTC().Format("2006-01-02 15:04"), strings.Join(r.Formats, ","), r.Origin)
	}
	return tw.Flush()
}

func recordingsShow(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tinyscale recordings show", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var af adminFlags
	af.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		return fmt.Errorf("recordings show: give one record ID (%v)\n\n%s", err, recordingsUsage)
	}
	var r recordings.AdminRecording
	if err := af.client().do(ctx, http.MethodGet, "recordings/"+url.PathEscape(pos[0]), nil, &r, nil); err != nil {
		return err
	}
	writeIndented(stdout, r)
	return nil
}

func recordingsDelete(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tinyscale recordings delete", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var af adminFlags
	af.register(fs)
	yes := fs.Bool("yes", false, "really delete: the files are removed for good")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) != 1 {
		return fmt.Errorf("recordings delete: give one record ID (%v)\n\n%s", err, recordingsUsage)
	}
	if !*yes {
		return fmt.Errorf("recordings delete %s removes its files for good: add --yes (deleteRecordings through the API only marks it deleted)", pos[0])
	}
	if err := af.client().do(ctx, http.MethodDelete, "recordings/"+url.PathEscape(pos[0]), nil, nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %s\n", pos[0])
	return nil
}
