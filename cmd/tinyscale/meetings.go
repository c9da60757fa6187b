package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/tinyscale/tinyscale/admin"
)

const meetingsUsage = `Usage: tinyscale meetings list [--server ID] [--json] [--url URL] [--token T]

Lists every meeting tinyscale placed: which server holds it, whether the
server's last poll saw it running, and its participants, voice and video.
`

// meetingsCmd is `tinyscale meetings`.
func meetingsCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, meetingsUsage)
		return nil
	}
	if args[0] != "list" {
		return fmt.Errorf("unknown meetings command %q\n\n%s", args[0], meetingsUsage)
	}
	fs := flag.NewFlagSet("tinyscale meetings list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var af adminFlags
	af.register(fs)
	server := fs.String("server", "", "only the meetings of this server")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil || len(pos) > 0 {
		return fmt.Errorf("meetings list: bad arguments (%v)\n\n%s", err, meetingsUsage)
	}
	var list admin.MeetingList
	var raw []byte
	if err := af.client().do(ctx, http.MethodGet, "meetings", nil, &list, &raw); err != nil {
		return err
	}
	if af.json && *server == "" {
		_, err := stdout.Write(raw)
		return err
	}
	ms := list.Meetings[:0]
	for _, m := range list.Meetings {
		if *server == "" || m.Server == *server {
			ms = append(ms, m)
		}
	}
	if af.json {
		writeIndented(stdout, admin.MeetingList{Meetings: ms})
		return nil
	}
	printMeetings(stdout, ms, time.Now())
	return nil
}

// printMeetings writes the meetings as an aligned table.
func printMeetings(w io.Writer, ms []admin.MeetingInfo, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEETING ID\tSERVER\tRUNNING\tPARTICIPANTS\tVOICE\tVIDEO\tCREATED")
	for _, m := range ms {
		running, created := "no", "-"
		if m.Running {
			running = "yes"
		}
		switch {
		case m.CreatedAt != nil:
			created = ago(*m.CreatedAt, now)
		case !m.PlacedAt.IsZero():
			created = ago(m.PlacedAt, now)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", m.MeetingID, m.Server, running, m.Participants, m.Voice, m.Video, created)
	}
	tw.Flush()
	if len(ms) == 0 {
		fmt.Fprintln(w, "(no meetings)")
	}
}
