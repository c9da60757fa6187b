package main

import (
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/admin"
)

// adminToken is the TINYSCALE_ADMIN_TOKEN of the tests' tinyscale.
const adminToken = "admin-token-for-tests"

// serveAdmin starts tinyscale serve with the admin API on and a fast
// poller, and returns it with its working directory and root URL.
func serveAdmin(t *testing.T, servers ...serverEntry) (*proc, string, string) {
	t.Helper()
	port := freePort(t)
	dir := writeServers(t, servers...)
	p := start(t, dir, []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + port,
		"TINYSCALE_ADMIN_TOKEN=" + adminToken, "TINYSCALE_POLL_INTERVAL=100ms"})
	root := "http://127.0.0.1:" + port
	p.WaitReady(t, root+"/healthz")
	return p, dir, root
}

// adminCall calls the admin API of the tinyscale at root and decodes the
// answer into out; it returns the HTTP status.
func adminCall(t *testing.T, root, method, path string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, root+admin.Prefix+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: HTTP %d: %v: %s", method, path, res.StatusCode, err, data)
		}
	}
	return res.StatusCode
}

// serverIDs lists the IDs of the servers of the tinyscale at root.
func serverIDs(t *testing.T, root string) []string {
	t.Helper()
	var list admin.ServerList
	adminCall(t, root, "GET", "servers", &list)
	var ids []string
	for _, s := range list.Servers {
		ids = append(ids, s.ID)
	}
	return ids
}

// serverState returns a server's admin state, "" if it is not listed.
func serverState(t *testing.T, root, id string) string {
	t.Helper()
	var ans admin.ServerAnswer
	if adminCall(t, root, "GET", "servers/"+url.PathEscape(id), &ans) != http.StatusOK {
		return ""
	}
	return string(ans.Server.Admin)
}

// rewriteServers replaces servers.json in dir.
func rewriteServers(t *testing.T, dir string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "servers.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultAdminURL checks where the commands look for tinyscale.
func TestDefaultAdminURL(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{nil, "http://127.0.0.1:8000"},
		{map[string]string{"PORT": "9000"}, "http://127.0.0.1:9000"},
		{map[string]string{"PORT": "9000", "TINYSCALE_LISTEN": ":9100"}, "http://127.0.0.1:9100"},
		{map[string]string{"TINYSCALE_LISTEN": "0.0.0.0:9200"}, "http://127.0.0.1:9200"},
		{map[string]string{"TINYSCALE_ADMIN_URL": "https://lb.example.org", "PORT": "9000"}, "https://lb.example.org"},
	}
	for _, tt := range tests {
		if got := defaultAdminURL(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("env %v: %q, want %q", tt.env, got, tt.want)
		}
	}
}

// TestAgo checks the ages of the LAST POLL and CREATED columns.
func TestAgo(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "never"},
		{now.Add(time.Second), "just now"},
		{now, "0s ago"},
		{now.Add(-3 * time.Second), "3s ago"},
		{now.Add(-90 * time.Second), "1m ago"},
		{now.Add(-5 * time.Hour), "5h ago"},
		{now.Add(-72 * time.Hour), "3d ago"},
	}
	for _, tt := range tests {
		if got := ago(tt.t, now); got != tt.want {
			t.Errorf("ago(%v) = %q, want %q", now.Sub(tt.t), got, tt.want)
		}
	}
}

// TestParseInterspersed checks that flags may follow the server's ID.
func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args    []string
		wantPos []string
		wantYes bool
	}{
		{[]string{"bbb1", "--yes"}, []string{"bbb1"}, true},
		{[]string{"--yes", "bbb1"}, []string{"bbb1"}, true},
		{[]string{"bbb1"}, []string{"bbb1"}, false},
		{[]string{"--", "--yes"}, []string{"--yes"}, false},
		{nil, nil, false},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		yes := fs.Bool("yes", false, "")
		pos, err := parseInterspersed(fs, tt.args)
		if err != nil || !slices.Equal(pos, tt.wantPos) || *yes != tt.wantYes {
			t.Errorf("%q: %q yes=%v %v; want %q yes=%v", tt.args, pos, *yes, err, tt.wantPos, tt.wantYes)
		}
	}
}

// TestHealthColumn checks the HEALTH column.
func TestHealthColumn(t *testing.T) {
	tests := []struct {
		online bool
		fails  int
		want   string
	}{
		{true, 0, "online"},
		{true, 1, "online (1 fail)"},
		{false, 3, "offline (3 fails)"},
	}
	for _, tt := range tests {
		var s admin.ServerInfo
		s.Online, s.Fails = tt.online, tt.fails
		if got := health(s); got != tt.want {
			t.Errorf("health(online %v, fails %d) = %q, want %q", tt.online, tt.fails, got, tt.want)
		}
	}
}

// TestAdminClientErrors runs the commands where they cannot work and
// checks that each error says what to do.
func TestAdminClientErrors(t *testing.T) {
	good := fake(t, "good-secret")
	_, dir, root := serveAdmin(t, entry(good))
	offPort := freePort(t)
	off := start(t, writeServers(t, entry(good)), []string{"TINYSCALE_SECRET=" + clientSecret, "PORT=" + offPort})
	off.WaitReady(t, "http://127.0.0.1:"+offPort+"/healthz")
	nothing := "http://127.0.0.1:" + freePort(t)

	tests := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"wrong token", []string{"TINYSCALE_ADMIN_URL=" + root, "TINYSCALE_ADMIN_TOKEN=nope"}, []string{"servers", "list"},
			[]string{"wrong TINYSCALE_ADMIN_TOKEN"}},
		{"no token", []string{"TINYSCALE_ADMIN_URL=" + root}, []string{"meetings", "list"},
			[]string{"TINYSCALE_ADMIN_TOKEN is not set"}},
		{"not running", []string{"TINYSCALE_ADMIN_URL=" + nothing, "TINYSCALE_ADMIN_TOKEN=x"}, []string{"servers", "list"},
			[]string{"is tinyscale running at " + nothing, "TINYSCALE_ADMIN_URL"}},
		{"admin API off", []string{"PORT=" + offPort, "TINYSCALE_ADMIN_TOKEN=x"}, []string{"servers", "list"},
			[]string{"admin API is off", "TINYSCALE_ADMIN_TOKEN"}},
		{"unknown server", []string{"TINYSCALE_ADMIN_URL=" + root, "TINYSCALE_ADMIN_TOKEN=" + adminToken}, []string{"servers", "cordon", "nope"},
			[]string{`no server with id "nope"`}},
		{"missing id", []string{"TINYSCALE_ADMIN_URL=" + root, "TINYSCALE_ADMIN_TOKEN=" + adminToken}, []string{"servers", "enable"},
			[]string{"the server's ID", "Usage:"}},
		{"unknown command", nil, []string{"servers", "reboot"}, []string{`unknown servers command "reboot"`}},
		{"add without secret", []string{"TINYSCALE_ADMIN_URL=" + root, "TINYSCALE_ADMIN_TOKEN=" + adminToken}, []string{"servers", "add", "--host", good.URL()},
			[]string{"--host and --secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runToExit(t, dir, tt.env, tt.args...)
			if code != 1 {
				t.Errorf("exit code %d, want 1; output:\n%s", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not mention %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, adminToken) {
				t.Errorf("output shows the admin token:\n%s", out)
			}
		})
	}
}
