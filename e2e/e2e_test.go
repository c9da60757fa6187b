package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbbfake"
)

// The meeting client.js creates and joins: characters that break naive
// signing and routing (&, [, ], spaces, non-ASCII).
const (
	meetingID   = "e2e room & [1] ü"
	meetingName = "Café Zürich – 会议 2024 🎉"
	fullName    = "Zoë Ångström-李"
)

// TestBigBlueButtonJS runs client.js, which uses bigbluebutton-js 0.2.0,
// against the real tinyscale binary in front of three fake BBB servers:
// create, join (each redirect hop), getMeetings, isMeetingRunning and end
// must work as they do against a single BBB server.
func TestBigBlueButtonJS(t *testing.T) {
	node := requireTool(t, "node")
	npm := requireTool(t, "npm")
	installClient(t, npm)
	bin := buildTinyscale(t)

	// Three servers, with hosts written in the forms operators use.
	var fakes []*bbbfake.Server
	var entries []map[string]string
	var apis []string
	for i := 1; i <= 3; i++ {
		f := bbbfake.Start(fmt.Sprintf("backend-secret-%d", i))
		t.Cleanup(f.Close)
		f.SetName(fmt.Sprintf("bbb-%d", i))
		host := map[int]string{
			1: f.URL(),
			2: "http://" + f.Addr() + "/bigbluebutton/",
			3: "http://" + f.Addr(),
		}[i]
		fakes = append(fakes, f)
		apis = append(apis, f.URL())
		entries = append(entries, map[string]string{"host": host, "secret": f.Secret()})
	}
	dir := t.TempDir()
	data, _ := json.MarshalIndent(entries, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "servers.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	const secret = "e2e-client-secret"
	port := freePort(t)
	startTinyscale(t, bin, dir, port, "TINYSCALE_SECRET="+secret)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.js")
	cmd.Env = append(os.Environ(),
		"TINYSCALE_URL=http://127.0.0.1:"+port+"/bigbluebutton/",
		"TINYSCALE_SECRET="+secret,
		"BBB_SERVERS="+strings.Join(apis, " "),
		"MEETING_ID="+meetingID,
		"MEETING_NAME="+meetingName,
		"FULL_NAME="+fullName,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node client.js: %v\n%s", err, out)
	}
	t.Logf("node client.js:\n%s", out)

	// What reached the backends: exactly one server got the meeting, with
	// the parameters unchanged by tinyscale's re-signing.
	var holders []string
	for _, f := range fakes {
		created := false
		for _, r := range f.Requests() {
			switch r.Call {
			case "create":
				if r.Query.Get("meetingID") != meetingID {
					t.Errorf("%s got create for meetingID %q, want %q", f.Name(), r.Query.Get("meetingID"), meetingID)
				}
				if r.Query.Get("name") != meetingName {
					t.Errorf("%s got create with name %q, want %q", f.Name(), r.Query.Get("name"), meetingName)
				}
				created = true
			case "join":
				if r.Query.Get("fullName") != fullName || r.Query.Get("role") != "MODERATOR" {
					t.Errorf("%s got join with fullName %q role %q, want %q MODERATOR", f.Name(), r.Query.Get("fullName"), r.Query.Get("role"), fullName)
				}
			}
		}
		if created {
			holders = append(holders, f.Name())
		}
		if f.HasMeeting(meetingID) {
			t.Errorf("%s still has the meeting after end", f.Name())
		}
	}
	if len(holders) != 1 {
		t.Errorf("servers that got the create: %q, want exactly one", holders)
	}
}
