package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/tenant"
)

const tenantsUsage = `Usage: tinyscale tenants COMMAND [flags]

Commands (they talk to the running tinyscale through its admin API):
  list                      every tenant: hosts, secrets (how many), meetings, participants, limits
  add NAME [--host H ...] [--secret -] [--max-meetings N] [--max-participants N] [--tag T ...]
                            add a tenant; without --secret a secret is generated and printed
                            once (--secret - reads it from stdin)
  remove NAME               drop a tenant: its integrations' calls then fail with checksumError
  rotate-secret NAME [--secret -]
                            add a secret (generated and printed once, or read from stdin);
                            the old one stays valid, so integrations move without downtime
  rotate-secret NAME --retire
                            then drop every secret but the newest

Policies (create and join defaults and overrides) are set in tenants.json or
with PUT /admin/api/v1/tenants/NAME; see docs/tenants.md.

Flags of every command:
  --url URL      the running tinyscale (TINYSCALE_ADMIN_URL, default http://127.0.0.1:$PORT)
  --token T      the admin token (TINYSCALE_ADMIN_TOKEN; prefer the variable)
  --json         print the API's JSON answer
`

// tenantsCmd is `tinyscale tenants`.
func tenantsCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, tenantsUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("tinyscale tenants "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, with the usage
	var af adminFlags
	af.register(fs)
	switch sub {
	case "list":
		if _, err := tenantArgs(fs, args, 0); err != nil {
			return err
		}
		return tenantsList(ctx, af, stdout)
	case "add":
		return tenantsAdd(ctx, fs, &af, args, stdin, stdout)
	case "remove":
		return tenantsRemove(ctx, fs, &af, args, stdout)
	case "rotate-secret":
		return tenantsRotate(ctx, fs, &af, args, stdin, stdout)
	}
	return fmt.Errorf("unknown tenants command %q\n\n%s", sub, tenantsUsage)
}

// tenantArgs parses the flags and wants n positional arguments (0 or the
// tenant's name).
func tenantArgs(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, fmt.Errorf("%s: %v\n\n%s", fs.Name(), err, tenantsUsage)
	}
	if len(pos) != n {
		what := "no arguments"
		if n == 1 {
			what = "the tenant's name"
		}
		return nil, fmt.Errorf("%s takes %s; `tinyscale tenants list` shows the names\n\n%s", fs.Name(), what, tenantsUsage)
	}
	return pos, nil
}

// readSecret returns the --secret flag's value: "" for none, stdin's first
// line for "-".
func readSecret(flagValue string, stdin io.Reader) (string, error) {
	if flagValue != "-" {
		return flagValue, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	s := strings.TrimSpace(line)
	if s == "" {
		return "", fmt.Errorf("--secret -: no secret on stdin (%v)", err)
	}
	return s, nil
}

func tenantsList(ctx context.Context, af adminFlags, stdout io.Writer) error {
	var list admin.TenantList
	var raw []byte
	if err := af.client().do(ctx, http.MethodGet, "tenants", nil, &list, &raw); err != nil {
		return err
	}
	if af.json {
		_, err := stdout.Write(raw)
		return err
	}
	printTenants(stdout, list.Tenants)
	return nil
}

// printTenants writes the tenants as an aligned table.
func printTenants(w io.Writer, tenants []admin.TenantInfo) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tHOSTS\tSECRETS\tMEETINGS\tPARTICIPANTS\tLIMITS\tSOURCE")
	for _, t := range tenants {
		hosts := strings.Join(t.Hosts, ",")
		if hosts == "" {
			hosts = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", t.Name, hosts, t.Secrets, t.Meetings, t.Participants, limits(t.Policy), t.Source)
	}
	tw.Flush()
	if len(tenants) <= 1 {
		fmt.Fprintln(w, "(no tenants but the default one: add one to tenants.json, or with `tinyscale tenants add`)")
	}
}

// limits says a tenant's limits in tenants.json's words; "-" for none.
func limits(p tenant.Policy) string {
	var parts []string
	if p.MaxMeetings > 0 {
		parts = append(parts, fmt.Sprintf("max_meetings=%d", p.MaxMeetings))
	}
	if p.MaxParticipants > 0 {
		parts = append(parts, fmt.Sprintf("max_participants=%d", p.MaxParticipants))
	}
	if len(p.Tags) > 0 {
		parts = append(parts, "tags="+strings.Join(p.Tags, ","))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func tenantsAdd(ctx context.Context, fs *flag.FlagSet, af *adminFlags, args []string, stdin io.Reader, stdout io.Writer) error {
	var t tenant.Tenant
	var hosts, tags tagList
	fs.Var(&hosts, "host", "a Host header recognised as the tenant's (bbb.uni-a.example); repeat for several")
	secretFlag := fs.String("secret", "", "the tenant's secret; - reads it from stdin (default: a generated one, printed once)")
	fs.IntVar(&t.MaxMeetings, "max-meetings", 0, "the most concurrent meetings (default: no limit)")
	fs.IntVar(&t.MaxParticipants, "max-participants", 0, "the most participants in all its meetings together (default: no limit)")
	fs.Var(&tags, "tag", "a server tag its meetings may use; repeat for several (default: any)")
	pos, err := tenantArgs(fs, args, 1)
	if err != nil {
		return err
	}
	t.Name, t.Hosts, t.Tags = pos[0], hosts, tags
	secret, err := readSecret(*secretFlag, stdin)
	if err != nil {
		return err
	}
	if secret != "" {
		t.Secrets = []string{secret}
	}
	var ans admin.TenantAnswer
	var raw []byte
	if err := af.client().do(ctx, http.MethodPost, "tenants", t, &ans, &raw); err != nil {
		return err
	}
	if af.json {
		_, err := stdout.Write(raw)
		return err
	}
	fmt.Fprintf(stdout, "added tenant %s\n", ans.Tenant.Name)
	if ans.Secret != "" {
		fmt.Fprintf(stdout, "secret (shown this once: give it to the integration now): %s\n", ans.Secret)
	}
	printAPIAddresses(stdout, ans.Tenant)
	return nil
}

// printAPIAddresses says where the tenant's integrations reach its API.
func printAPIAddresses(w io.Writer, t admin.TenantInfo) {
	fmt.Fprintf(w, "API URL: https://<tinyscale's public address>%s\n", t.Path)
	for _, h := range t.Hosts {
		fmt.Fprintf(w, "     or: https://%s/bigbluebutton/api/\n", h)
	}
}

func tenantsRemove(ctx context.Context, fs *flag.FlagSet, af *adminFlags, args []string, stdout io.Writer) error {
	pos, err := tenantArgs(fs, args, 1)
	if err != nil {
		return err
	}
	var ans admin.TenantRemoveAnswer
	var raw []byte
	if err := af.client().do(ctx, http.MethodDelete, "tenants/"+url.PathEscape(pos[0]), nil, &ans, &raw); err != nil {
		return err
	}
	if af.json {
		_, err := stdout.Write(raw)
		return err
	}
	fmt.Fprintf(stdout, "removed tenant %s", ans.Removed)
	if ans.Meetings > 0 {
		fmt.Fprintf(stdout, "; %d of its meetings are placed: they run on until they end, but its integrations can no longer reach them", ans.Meetings)
	}
	fmt.Fprintln(stdout)
	return nil
}

func tenantsRotate(ctx context.Context, fs *flag.FlagSet, af *adminFlags, args []string, stdin io.Reader, stdout io.Writer) error {
	secretFlag := fs.String("secret", "", "the new secret; - reads it from stdin (default: a generated one, printed once)")
	retire := fs.Bool("retire", false, "drop every secret but the newest, once the integrations use it")
	pos, err := tenantArgs(fs, args, 1)
	if err != nil {
		return err
	}
	name := pos[0]
	if *retire && *secretFlag != "" {
		return fmt.Errorf("rotate-secret: --retire and --secret do not go together: first add the new secret, move the integrations to it, then --retire\n\n%s", tenantsUsage)
	}
	var ans admin.TenantAnswer
	var raw []byte
	if *retire {
		if err := af.client().do(ctx, http.MethodPost, "tenants/"+url.PathEscape(name)+"/retire-secrets", struct{}{}, &ans, &raw); err != nil {
			return err
		}
		if af.json {
			_, err := stdout.Write(raw)
			return err
		}
		if ans.Retired == 0 {
			fmt.Fprintf(stdout, "tenant %s has one secret only: nothing to retire\n", name)
			return nil
		}
		fmt.Fprintf(stdout, "tenant %s: retired %d old secret(s); only the newest is accepted now\n", name, ans.Retired)
		return nil
	}
	secret, err := readSecret(*secretFlag, stdin)
	if err != nil {
		return err
	}
	if err := af.client().do(ctx, http.MethodPost, "tenants/"+url.PathEscape(name)+"/rotate-secret", admin.RotateRequest{Secret: secret}, &ans, &raw); err != nil {
		return err
	}
	if af.json {
		_, err := stdout.Write(raw)
		return err
	}
	fmt.Fprintf(stdout, "added a secret to tenant %s: its %d secrets are all accepted until `tinyscale tenants rotate-secret %s --retire`\n", name, ans.Tenant.Secrets, name)
	if ans.Secret != "" {
		fmt.Fprintf(stdout, "new secret (shown this once: give it to the integration now): %s\n", ans.Secret)
	}
	return nil
}
