package main

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/internal/testproc"
)

const fileTenantSecret = "uni-a-secret-in-tenants-json"

// serveTenants starts tinyscale serve in dir (servers.json and
// tenants.json written) with the admin API on, and returns it and its
// root URL.
func serveTenants(t *testing.T, dir string) (*proc, string) {
	t.Helper()
	port := freePort(t)
	p := start(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port,
		"TINYSCALE_ADMIN_TOKEN=" + adminToken, "TINYSCALE_POLL_INTERVAL=100ms"})
	root := "http://127.0.0.1:" + port
	p.WaitReady(t, root+"/healthz")
	return p, root
}

// writeTenants writes tenants.json in dir.
func writeTenants(t *testing.T, dir, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "tenants.json"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tenantKey returns the messageKey of getMeetings on the tenant's path
// signed with secret: "SUCCESS" for a success.
func tenantKey(t *testing.T, root, name, secret string) string {
	t.Helper()
	_, _, body := get(t, signed(root+"/t/"+name+"/bigbluebutton/api", "getMeetings", url.Values{}, secret))
	if strings.Contains(body, "<returncode>SUCCESS</returncode>") {
		return "SUCCESS"
	}
	if m := regexp.MustCompile(`<messageKey>([^<]*)</messageKey>`).FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return body
}

// secretRE finds a secret the CLI prints once.
var secretRE = regexp.MustCompile(`secret \(shown this once[^)]*\): ([0-9a-f]{64})\n`)

// TestTenantsCLI runs the built binary's tenants commands against a
// running tinyscale with a tenants.json: list, add (generated and stdin
// secrets), rotate-secret and --retire, remove; and checks that the
// changes survive a restart and a SIGHUP reload of an edited tenants.json.
func TestTenantsCLI(t *testing.T) {
	a := fake(t, "secret-a")
	dir := writeServers(t, entry(a))
	writeTenants(t, dir, `[{"name": "uni-a", "secrets": ["`+fileTenantSecret+`"], "hosts": ["bbb.uni-a.example"], "max_meetings": 3}]`)
	p, root := serveTenants(t, dir)
	env := []string{"TINYSCALE_ADMIN_URL=" + root, "TINYSCALE_ADMIN_TOKEN=" + adminToken}
	cli := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Dir, cmd.Env, cmd.Stdin = dir, append(testproc.BaseEnv(), env...), strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tinyscale %s: %v:\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	row := func(out, name string) string {
		t.Helper()
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, name+" ") {
				return l
			}
		}
		t.Fatalf("no row for %s in:\n%s", name, out)
		return ""
	}

	// Added with a generated secret, printed once.
	out := cli("", "tenants", "add", "school-b", "--host", "bbb.school-b.example", "--max-meetings", "2")
	m := secretRE.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "added tenant school-b") || !strings.Contains(out, "/t/school-b/bigbluebutton/api/") ||
		!strings.Contains(out, "https://bbb.school-b.example/bigbluebutton/api/") {
		t.Fatalf("tenants add:\n%s", out)
	}
	first := m[1]
	if got := tenantKey(t, root, "school-b", first); got != "SUCCESS" {
		t.Fatalf("getMeetings with the generated secret: %s", got)
	}
	// Added with a secret from stdin, not printed.
	out = cli("stdin-tenant-secret\n", "tenants", "add", "c", "--secret", "-", "--tag", "gold", "--max-participants", "50")
	if strings.Contains(out, "stdin-tenant-secret") || secretRE.MatchString(out) {
		t.Errorf("tenants add --secret - prints the secret:\n%s", out)
	}
	if got := tenantKey(t, root, "c", "stdin-tenant-secret"); got != "SUCCESS" {
		t.Errorf("getMeetings with the stdin secret: %s", got)
	}

	getOK(t, signed(root+"/t/school-b/bigbluebutton/api", "create", url.Values{"meetingID": {"room1"}, "name": {"Room"}}, first))
	waitFor(t, "school-b's meeting in the list", func() bool {
		var list admin.TenantList
		adminCall(t, root, "GET", "tenants", &list)
		for _, ti := range list.Tenants {
			if ti.Name == "school-b" && ti.Meetings == 1 {
				return true
			}
		}
		return false
	})
	out = cli("", "tenants", "list")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("tenants list: %d lines, want a header and 4 rows:\n%s", len(lines), out)
	}
	for _, col := range []string{"NAME", "HOSTS", "SECRETS", "MEETINGS", "PARTICIPANTS", "LIMITS"} {
		if !strings.Contains(lines[0], col) {
			t.Errorf("header %q lacks %s", lines[0], col)
		}
	}
	fields := func(r string) []string { return strings.Fields(r) }
	for _, tc := range []struct {
		name string
		want []string // NAME HOSTS SECRETS MEETINGS PARTICIPANTS
		more []string
	}{
		{"default", []string{"default", "-", "1", "0", "0"}, []string{"TINYSCALE_SECRET"}},
		{"uni-a", []string{"uni-a", "bbb.uni-a.example", "1", "0", "0"}, []string{"max_meetings=3", "tenants.json"}},
		{"school-b", []string{"school-b", "bbb.school-b.example", "1", "1", "0"}, []string{"max_meetings=2", "admin API"}},
		{"c", []string{"c", "-", "1", "0", "0"}, []string{"max_participants=50 tags=gold", "admin API"}},
	} {
		r := row(out, tc.name)
		if got := fields(r)[:5]; strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("row %q: columns %v, want %v", r, got, tc.want)
		}
		for _, w := range tc.more {
			if !strings.Contains(r, w) {
				t.Errorf("row %q lacks %q", r, w)
			}
		}
	}
	var list admin.TenantList
	if err := json.Unmarshal([]byte(cli("", "tenants", "list", "--json")), &list); err != nil || len(list.Tenants) != 4 {
		t.Errorf("tenants list --json: %v, %+v", err, list)
	}

	// Rotate: the new secret is printed once; both work; --retire drops
	// the old one.
	out = cli("", "tenants", "rotate-secret", "school-b")
	m = secretRE.FindStringSubmatch(out)
	if m == nil || strings.Contains(out, first) {
		t.Fatalf("rotate-secret:\n%s", out)
	}
	second := m[1]
	for _, s := range []string{first, second} {
		if got := tenantKey(t, root, "school-b", s); got != "SUCCESS" {
			t.Errorf("after rotate-secret, a secret gets %s", got)
		}
	}
	if out := cli("", "tenants", "rotate-secret", "school-b", "--retire"); !strings.Contains(out, "retired 1") {
		t.Errorf("rotate-secret --retire:\n%s", out)
	}
	if got := tenantKey(t, root, "school-b", first); got != "checksumError" {
		t.Errorf("the retired secret gets %s, want checksumError", got)
	}
	if got := tenantKey(t, root, "school-b", second); got != "SUCCESS" {
		t.Errorf("the newest secret gets %s", got)
	}
	code, out2 := runToExit(t, dir, env, "tenants", "add", "uni-a")
	if code != 1 || !strings.Contains(out2, `"uni-a" exists`) {
		t.Errorf("adding a tenant of tenants.json again: exit %d:\n%s", code, out2)
	}

	// A restart keeps the API's changes; a SIGHUP reads an edited
	// tenants.json and keeps them too.
	stop(t, p, syscall.SIGTERM)
	before := p
	p, root = serveTenants(t, dir)
	env[0] = "TINYSCALE_ADMIN_URL=" + root
	if got := tenantKey(t, root, "school-b", second); got != "SUCCESS" {
		t.Errorf("school-b after a restart: %s", got)
	}
	writeTenants(t, dir, `[{"name": "uni-a", "secrets": ["`+fileTenantSecret+`"]}, {"name": "d", "secrets": ["d-secret-in-the-file"]}]`)
	if err := p.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "tenant d after SIGHUP", func() bool { return tenantKey(t, root, "d", "d-secret-in-the-file") == "SUCCESS" })
	out = cli("", "tenants", "list")
	for _, name := range []string{"default", "uni-a", "school-b", "c", "d"} {
		row(out, name)
	}

	if out := cli("", "tenants", "remove", "school-b"); !strings.Contains(out, "removed tenant school-b") || !strings.Contains(out, "1 of its meetings") {
		t.Errorf("tenants remove:\n%s", out)
	}
	if got := tenantKey(t, root, "school-b", second); got != "checksumError" {
		t.Errorf("a removed tenant's request gets %s, want checksumError", got)
	}
	for _, s := range []string{first, second, fileTenantSecret, "stdin-tenant-secret", "d-secret-in-the-file"} {
		if strings.Contains(before.Output.String()+p.Output.String(), s) {
			t.Errorf("the log shows a tenant's secret")
		}
	}
	stop(t, p, syscall.SIGTERM)
}
