package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tinyscale/tinyscale/admin"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/internal/ci"
)

// chromiumPath is Debian's chromium, or TINYSCALE_CHROMIUM.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("TINYSCALE_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(p); err != nil {
		ci.Skip(t, "no chromium at "+p+" for the dashboard's browser test: apt-get install chromium (or set TINYSCALE_CHROMIUM)")
	}
	return p
}

// artifacts is where the browser test leaves its screenshots:
// $TINYSCALE_ARTIFACTS, else testdata/artifacts (ignored by git).
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TINYSCALE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newBrowser starts a headless chromium with a fresh profile, closed when
// the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	// Start the browser now, so that a broken chromium fails here. The
	// first run must use ctx itself: cancelling a context derived from it
	// would close the browser. A hung start is ended by the timer.
	timer := time.AfterFunc(60*time.Second, cancelB)
	defer timer.Stop()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// browse runs browser steps under a bound.
func browse(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(cctx, steps...); err != nil {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(artifacts(t), "failed.png"), png, 0o644)
		}
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
			t.Logf("the browser is at %s", loc)
		}
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one browser action that returns a value, under a bound.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(cctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(artifacts(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// TestDashboardInBrowser drives the dashboard of the real binary, in front
// of fake BBB servers, in a real browser: log in, see every server, see a
// meeting created through the API appear while the page is open, cordon a
// server and end a meeting from the page (each confirmed) with the admin
// API agreeing, log out and be refused.
func TestDashboardInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	fakes := []serverEntry{}
	ids := []string{}
	var fs []*bbbfake.Server
	for _, s := range []string{"b1", "b2", "b3"} {
		f := fake(t, "secret-"+s)
		fakes = append(fakes, entry(f))
		ids = append(ids, f.Addr())
		fs = append(fs, f)
	}
	_, _, root := serveAdmin(t, fakes...)
	api := root + "/bigbluebutton/api"
	getOK(t, signed(api, "create", url.Values{"meetingID": {"warm-up"}, "name": {"Warm-up"}}, clientSecret))
	for _, f := range fs {
		f.AddUsers("warm-up", 5, true, false) // true only where it runs
	}

	// Log in.
	browse(t, ctx, "open the login page", chromedp.Navigate(root+"/admin/"), chromedp.WaitVisible(chromedp.ID("token")))
	loc := value(t, ctx, "location", chromedp.Location())
	if !strings.HasSuffix(loc, "/admin/login") {
		t.Fatalf("without a session /admin/ lands on %s, want the login page", loc)
	}
	browse(t, ctx, "a wrong token",
		chromedp.SendKeys(chromedp.ID("token"), "not-the-token"),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("login-error")))
	screenshot(t, ctx, "01-login-refused")
	browse(t, ctx, "log in",
		chromedp.SetValue(chromedp.ID("token"), adminToken),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("cards")))

	// The overview counts every server.
	value(t, ctx, "the overview", chromedp.Poll[bool](`document.getElementById("c-online").textContent === "3 / 3" && document.getElementById("c-participants").textContent === "5" && document.querySelector("#chart polyline") !== null`, chromedp.WithPollingTimeout(20*time.Second)))
	screenshot(t, ctx, "02-overview")

	// The servers tab lists every server.
	browse(t, ctx, "the servers tab", chromedp.Navigate(root+"/admin/#servers"), chromedp.WaitVisible(chromedp.ID("servers")))
	for _, id := range ids {
		browse(t, ctx, "server row "+id, chromedp.WaitVisible(chromedp.CSS(`tr[data-server="`+id+`"]`)))
	}
	screenshot(t, ctx, "03-servers")

	// A meeting created through the API appears on the open page.
	browse(t, ctx, "the meetings tab", chromedp.Click(chromedp.CSS(`a[data-tab="meetings"]`)), chromedp.WaitVisible(chromedp.CSS(`tr[data-meeting="warm-up"]`)))
	created := time.Now()
	getOK(t, signed(api, "create", url.Values{"meetingID": {"browser-room"}, "name": {"Seen live"}}, clientSecret))
	browse(t, ctx, "the new meeting on the page", chromedp.WaitVisible(chromedp.CSS(`tr[data-meeting="browser-room"]`)))
	latency := time.Since(created)
	t.Logf("the meeting appeared on the page %v after its create (the page polls every 1.5 s)", latency.Round(10*time.Millisecond))
	if latency > 2*time.Second && !raceEnabled {
		t.Errorf("the meeting took %v to appear, want within 2s", latency)
	}
	screenshot(t, ctx, "04-meetings")

	// Cordon a server from the page; the admin API reports it. The one
	// holding warm-up: cordoned, it goes on running it (an empty one
	// would be drained to disabled at the next poll).
	var placed admin.MeetingList
	adminCall(t, root, "GET", "meetings?q=warm-up", &placed)
	if placed.Total != 1 {
		t.Fatalf("warm-up: %+v", placed)
	}
	target := placed.Meetings[0].Server
	browse(t, ctx, "cordon "+target,
		chromedp.Click(chromedp.CSS(`a[data-tab="servers"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-server="`+target+`"] button[data-action="cordon"]`)),
		chromedp.Click(chromedp.CSS(`tr[data-server="`+target+`"] button[data-action="cordon"]`)),
		chromedp.WaitVisible(chromedp.ID("confirm-ok")))
	screenshot(t, ctx, "05-confirm-cordon")
	browse(t, ctx, "confirm the cordon", chromedp.Click(chromedp.ID("confirm-ok")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-server="`+target+`"] .state .pill.cordoned`)))
	if st := serverState(t, root, target); st != "cordoned" {
		t.Fatalf("after the cordon on the page the admin API says %s is %q", target, st)
	}
	screenshot(t, ctx, "06-cordoned")

	// End a meeting from the page, confirmed.
	browse(t, ctx, "end browser-room",
		chromedp.Click(chromedp.CSS(`a[data-tab="meetings"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-meeting="browser-room"] button[data-action="end"]`)),
		chromedp.Click(chromedp.CSS(`tr[data-meeting="browser-room"] button[data-action="end"]`)),
		chromedp.WaitVisible(chromedp.ID("confirm-ok")),
		chromedp.Click(chromedp.ID("confirm-ok")),
		chromedp.WaitNotPresent(chromedp.CSS(`tr[data-meeting="browser-room"]`)))
	var list admin.MeetingList
	adminCall(t, root, "GET", "meetings?q=browser-room", &list)
	if list.Total != 0 {
		t.Errorf("the meeting ended from the page is still placed: %+v", list.Meetings)
	}

	// The tenants tab shows this month's usage.
	browse(t, ctx, "the tenants tab", chromedp.Click(chromedp.CSS(`a[data-tab="tenants"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-tenant="default"]`)))
	screenshot(t, ctx, "07-tenants")

	// Log out: the page and the API refuse the browser.
	browse(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-bye")))
	status := value(t, ctx, "the API after log-out",
		chromedp.Evaluate[int](`fetch("/admin/api/v1/servers", {credentials: "same-origin"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != http.StatusUnauthorized {
		t.Errorf("the API after log-out: HTTP %d, want 401", status)
	}
	browse(t, ctx, "the page after log-out", chromedp.Navigate(root+"/admin/"), chromedp.WaitVisible(chromedp.ID("token")))
	loc = value(t, ctx, "location", chromedp.Location())
	if !strings.HasSuffix(loc, "/admin/login") {
		t.Errorf("after log-out /admin/ shows %s", loc)
	}
	screenshot(t, ctx, "08-logged-out")
}
