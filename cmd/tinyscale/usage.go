package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"

	usagepkg "github.com/tinyscale/tinyscale/usage"
)

const usageUsage = `Usage: tinyscale usage [--from D] [--to D] [--by tenant|day|server] [--format table|csv|json]
                       [--records] [--url URL] [--token T]

Prints the usage of the meetings that started in a period, from a running
tinyscale's admin API: meetings, recorded meetings, meeting-minutes,
participant-minutes and peak participants per tenant (the default), per
day (UTC) or per server. D is a date (2026-11-01, a whole day as --to) or
an RFC 3339 time; by default this month so far. --records lists every
meeting instead (with csv or json). See docs/admin.md, "Usage".
`

// usageCmd is `tinyscale usage`.
func usageCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, usageUsage)
		return nil
	}
	fs := flag.NewFlagSet("tinyscale usage", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var af adminFlags
	af.register(fs)
	from := fs.String("from", "", "start of the period: a date or an RFC 3339 time (default: the first of this month)")
	to := fs.String("to", "", "end of the period, a date included (default: now)")
	by := fs.String("by", "tenant", "group by tenant, day or server")
	format := fs.String("format", "table", "table, csv or json")
	records := fs.Bool("records", false, "list every meeting instead of totals")
	pos, err := parseInterspersed(fs, args)
	if err != nil || len(pos) > 0 {
		return fmt.Errorf("usage: bad arguments (%v)\n\n%s", err, usageUsage)
	}
	if af.json {
		*format = "json"
	}
	switch *format {
	case "table", "csv", "json":
	default:
		return fmt.Errorf("usage: --format %q: use table, csv or json", *format)
	}
	switch *by {
	case usagepkg.ByTenant, usagepkg.ByDay, usagepkg.ByServer:
	default:
		return fmt.Errorf("usage: --by %q: use tenant, day or server", *by)
	}
	q := url.Values{"by": {*by}}
	if *from != "" {
		q.Set("from", *from)
	}
	if *to != "" {
		q.Set("to", *to)
	}
	if *records {
		q.Set("records", "true")
	}
	var rep usagepkg.Report
	var raw []byte
	if err := af.client().do(ctx, http.MethodGet, "usage?"+q.Encode(), nil, &rep, &raw); err != nil {
		return err
	}
	switch {
	case *format == "json":
		_, err := stdout.Write(raw)
		return err
	case *records && *format == "csv":
		return writeRecordsCSV(stdout, rep)
	case *records:
		return writeRecordsTable(stdout, rep)
	case *format == "csv":
		return writeReportCSV(stdout, rep)
	}
	writeReportTable(stdout, rep)
	return nil
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// exact is a number for CSV, which feeds billing: three decimals.
func exact(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }

func writeReportTable(w io.Writer, rep usagepkg.Report) {
	fmt.Fprintf(w, "usage of meetings started %s to %s, by %s\n\n", rep.From.Format("2006-01-02 15:04"), rep.To.Format("2006-01-02 15:04 MST"), rep.By)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tMEETINGS\tRECORDED\tMEETING-MIN\tPARTICIPANT-MIN\tPEAK\t\n", map[string]string{"tenant": "TENANT", "day": "DAY", "server": "SERVER"}[rep.By])
	for _, r := range append(rep.Rows, rep.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%d\t\n", r.Key, r.Meetings, r.Recorded, num(r.MeetingMinutes), num(r.ParticipantMinutes), r.PeakParticipants)
	}
	tw.Flush()
}

func writeReportCSV(w io.Writer, rep usagepkg.Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{rep.By, "meetings", "recorded", "meeting_minutes", "participant_minutes", "peak_participants"})
	for _, r := range rep.Rows {
		cw.Write([]string{r.Key, strconv.Itoa(r.Meetings), strconv.Itoa(r.Recorded), exact(r.MeetingMinutes), exact(r.ParticipantMinutes), strconv.Itoa(r.PeakParticipants)})
	}
	cw.Flush()
	return cw.Error()
}

func writeRecordsCSV(w io.Writer, rep usagepkg.Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"tenant", "meeting_id", "name", "server", "start", "end", "duration_seconds", "peak_participants", "participant_minutes", "recorded", "ongoing"})
	for _, r := range rep.Records {
		cw.Write([]string{r.Tenant, r.MeetingID, r.Name, r.Server, r.Start.UTC().Format("2006-01-02T15:04:05Z"), r.End.UTC().Format("2006-01-02T15:04:05Z"),
			strconv.FormatFloat(r.DurationSeconds, 'f', 0, 64), strconv.Itoa(r.PeakParticipants), exact(r.ParticipantMinutes),
			strconv.FormatBool(r.Recorded), strconv.FormatBool(r.Ongoing)})
	}
	cw.Flush()
	return cw.Error()
}

func writeRecordsTable(w io.Writer, rep usagepkg.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tMEETING ID\tSERVER\tSTART\tMINUTES\tPEAK\tPARTICIPANT-MIN\tRECORDED\tNAME")
	for _, r := range rep.Records {
		mins := num(r.DurationSeconds / 60)
		if r.Ongoing {
			mins += " (running)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%v\t%s\n", r.Tenant, r.MeetingID, r.Server, r.Start.UTC().Format("2006-01-02 15:04"),
			mins, r.PeakParticipants, num(r.ParticipantMinutes), r.Recorded, r.Name)
	}
	tw.Flush()
	if len(rep.Records) == 0 {
		fmt.Fprintln(w, "(no meetings)")
	}
	return nil
}
