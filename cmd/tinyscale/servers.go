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
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/config"
)

const serversUsage = `Usage: tinyscale servers COMMAND [flags]

Commands (they talk to the running tinyscale through its admin API):
  list                      every server: state, health, load, meetings, participants, last poll
  add --host URL --secret S [--id ID] [--algorithm A] [--weight W] [--tag T ...] [--max-load N]
                            check a BBB server and add it (--secret - reads it from stdin)
  remove ID                 drop a server (its meetings' calls then answer notFound)
  enable ID                 take new meetings and joins again
  cordon ID                 no new meetings; running ones go on; disabled once empty
  disable ID                no new meetings, no joins
  panic ID [--yes]          end every meeting on the server, forget them, disable it

Flags of every command:
  --url URL      the running tinyscale (TINYSCALE_ADMIN_URL, default http://127.0.0.1:$PORT)
  --token T      the admin token (TINYSCALE_ADMIN_TOKEN; prefer the variable)
  --json         print the API's JSON answer
`

// serversCmd is `tinyscale servers`.
func serversCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, serversUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("tinyscale servers "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, with the usage, by the caller
	var af adminFlags
	af.register(fs)
	switch sub {
	case "list":
		if _, err := parseArgs(fs, args, 0); err != nil {
			return err
		}
		return serversList(ctx, af, stdout)
	case "add":
		return serversAdd(ctx, fs, af, args, stdin, stdout)
	case "remove":
		return serverAction(ctx, fs, &af, args, stdout, http.MethodDelete, "")
	case "enable", "disable", "cordon":
		return serverAction(ctx, fs, &af, args, stdout, http.MethodPost, "/"+sub)
	case "panic":
		return serversPanic(ctx, fs, &af, args, stdin, stdout)
	}
	return fmt.Errorf("unknown servers command %q\n\n%s", sub, serversUsage)
}

// parseArgs parses the flags and wants n positional arguments.
func parseArgs(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, fmt.Errorf("%s: %v\n\n%s", fs.Name(), err, serversUsage)
	}
	if len(pos) != n {
		what := "no arguments"
		if n == 1 {
			what = "the server's ID"
		}
		return nil, fmt.Errorf("%s takes %s; `tinyscale servers list` shows the IDs\n\n%s", fs.Name(), what, serversUsage)
	}
	return pos, nil
}

func serversList(ctx context.Context, af adminFlags, stdout io.Writer) error {
	var list admin.ServerList
	var raw []byte
	if err := af.client().do(ctx, http.MethodGet, "servers", nil, &list, &raw); err != nil {
		return err
	}
	if af.json {
		_, err := stdout.Write(raw)
		return err
	}
	printServers(stdout, list.Servers, time.Now())
	return nil
}

// printServers writes the servers as an aligned table.
func printServers(w io.Writer, servers []admin.ServerInfo, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tHEALTH\tLOAD\tMEETINGS\tPARTICIPANTS\tLAST POLL\tHOST")
	for _, s := range servers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%d\t%d\t%s\t%s\n",
			s.ID, s.Admin, health(s), s.Load, s.Meetings, s.Participants, ago(s.LastPoll, now), s.Host)
	}
	tw.Flush()
	if len(servers) == 0 {
		fmt.Fprintln(w, "(no servers: add one to servers.json, or with `tinyscale servers add`)")
	}
}

// health is "online" or "offline", with the failed polls in a row.
func health(s admin.ServerInfo) string {
	h := "offline"
	if s.Online {
		h = "online"
	}
	switch s.Fails {
	case 0:
		return h
	case 1:
		return h + " (1 fail)"
	}
	return fmt.Sprintf("%s (%d fails)", h, s.Fails)
}

// tagList collects repeated --tag flags.
type tagList []string

func (t *tagList) String() string     { return strings.Join(*t, ",") }
func (t *tagList) Set(v string) error { *t = append(*t, v); return nil }

func serversAdd(ctx context.Context, fs *flag.FlagSet, af adminFlags, args []string, stdin io.Reader, stdout io.Writer) error {
	var sc config.Server
	var tags tagList
	fs.StringVar(&sc.Host, "host", "", "the server's URL, e.g. https://bbb3.example.org/bigbluebutton/api")
	fs.StringVar(&sc.Secret, "secret", "", "the server's secret (bbb-conf --secret); - reads it from stdin")
	fs.StringVar(&sc.ID, "id", "", "a short name (default: the host name)")
	fs.StringVar(&sc.Algorithm, "algorithm", "", "sha256 (default), sha1, sha384 or sha512")
	fs.Float64Var(&sc.Weight, "weight", 0, "how much load it takes relative to others (default 1)")
	fs.Var(&tags, "tag", "a tag for meta_server-tag routing; repeat for several")
	fs.Float64Var(&sc.MaxLoad, "max-load", 0, "no new meetings above this load (default: no limit)")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	sc.Tags = tags
	if sc.Host == "" || sc.Secret == "" {
		return fmt.Errorf("servers add needs --host and --secret\n\n%s", serversUsage)
	}
	if sc.Secret == "-" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if sc.Secret = strings.TrimSpace(line); sc.Secret == "" {
			return fmt.Errorf("--secret -: no secret on stdin (%v)", err)
		}
	}
	var ans admin.ServerAnswer
	var raw []byte
	if err := af.client().do(ctx, http.MethodPost, "servers", sc, &ans, &raw); err != nil {
		return err
	}
	if af.json {
		_, err := stdout.Write(raw)
		return err
	}
	fmt.Fprintf(stdout, "added server %s (%s), %s\n", ans.Server.ID, ans.Server.Host, health(ans.Server))
	if ans.Warning != "" {
		fmt.Fprintln(stdout, "warning:", ans.Warning)
	}
	return nil
}

// serverAction is remove, enable, disable and cordon: one call about one
// server.
func serverAction(ctx context.Context, fs *flag.FlagSet, af *adminFlags, args []string, stdout io.Writer, method, suffix string) error {
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	id := pos[0]
	var raw []byte
	var ans struct {
		admin.ServerAnswer
		admin.RemoveAnswer
	}
	if err := af.client().do(ctx, method, "servers/"+url.PathEscape(id)+suffix, nil, &ans, &raw); err != nil {
		return err
	}
	if af.json {
		_, err := stdout.Write(raw)
		return err
	}
	if method == http.MethodDelete {
		fmt.Fprintf(stdout, "removed server %s", id)
		if ans.Placements > 0 {
			fmt.Fprintf(stdout, "; %d meetings were placed on it: calls for them answer notFound until they are created again", ans.Placements)
		}
		fmt.Fprintln(stdout)
		return nil
	}
	fmt.Fprintf(stdout, "server %s is %s\n", id, ans.Server.Admin)
	return nil
}

func serversPanic(ctx context.Context, fs *flag.FlagSet, af *adminFlags, args []string, stdin io.Reader, stdout io.Writer) error {
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	id := pos[0]
	if !*yes {
		if !isTerminal(stdin) {
			return fmt.Errorf("servers panic ends every meeting on %s: add --yes to confirm (stdin is not a terminal to ask)", id)
		}
		fmt.Fprintf(stdout, "End every meeting on server %s, forget them, and disable it? Type the server's ID to confirm: ", id)
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if strings.TrimSpace(line) != id {
			return errors.New("not confirmed: nothing was done")
		}
	}
	var ans admin.PanicAnswer
	var raw []byte
	if err := af.client().do(ctx, http.MethodPost, "servers/"+url.PathEscape(id)+"/panic", nil, &ans, &raw); err != nil {
		return err
	}
	if af.json {
		_, err := stdout.Write(raw)
		return err
	}
	ended := 0
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEETING ID\tRESULT\tERROR")
	for _, e := range ans.Ended {
		if e.Result == "ended" {
			ended++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.MeetingID, e.Result, e.Error)
	}
	if len(ans.Ended) > 0 {
		tw.Flush()
	}
	fmt.Fprintf(stdout, "server %s is %s: ended %d of %d meetings, forgot %d placements\n",
		id, ans.Server.Admin, ended, len(ans.Ended), ans.Released)
	return nil
}

// isTerminal reports whether r is an interactive terminal, where a
// question can be asked. /dev/null is a character device too, so the
// file's mode cannot tell: only the terminal ioctl can.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
