package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/internal/ci"
)

// TestMain lets the test binary serve as the ceiling server and as a
// fleet of fakes, as the command's binary does when the join and scale
// scenarios run it again.
func TestMain(m *testing.M) {
	roles := map[string]func() error{
		roleCeiling: func() error { return serveCeiling(os.Stdin, os.Stdout) },
		roleFleet:   func() error { return serveFleet(os.Stdin, os.Stdout) },
	}
	if serve := roles[os.Getenv(roleEnv)]; serve != nil {
		if err := serve(); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestTinyRun runs every scenario at the tiny plan's sizes against the
// real binary and checks that each ran and answered sanely. It never
// checks speed: the figures of a tiny run on a busy CI machine mean nothing.
func TestTinyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts tinyscale: skipped with -short")
	}
	ctx := t.Context()
	start := time.Now()
	bin, err := buildTinyscale(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built tinyscale in %v", time.Since(start).Round(time.Millisecond))
	var out bytes.Buffer
	rep, err := runPlan(ctx, tinyPlan, options{tinyscale: bin}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	rep.writeTable(&out)
	t.Log("\n" + out.String())

	if len(rep.Results) < len(scenarios) {
		t.Fatalf("%d rows for %d scenarios", len(rep.Results), len(scenarios))
	}
	figures := map[string]float64{}
	for _, r := range rep.Results {
		if r.Verdict == verdictError || r.Errors != 0 {
			t.Errorf("%s: %s, %d errors: %s", r.Scenario, r.Verdict, r.Errors, r.Note)
		}
		for k, v := range r.Figures {
			figures[k] = v
		}
	}
	for _, k := range []string{"tinyscale_rps", "ceiling_rps", "tinyscale_p50_ms", "direct_p50_ms", "p50_ms", "join_p99_ms", "idle_rss_mb", "loaded_rss_mb", "rounds",
		"scale_join_p99_ms", "scale_control_join_p99_ms", "scale_placed", "scale_rss_mb_1", "soak_heap_first_mb", "soak_heap_last_mb"} {
		if figures[k] <= 0 {
			t.Errorf("figure %s = %v, want > 0", k, figures[k])
		}
	}
	if got, want := figures["placed"], float64(tinyPlan.rushCreates); got != want {
		t.Errorf("rush placed %v meetings, want %v", got, want)
	}

	path := filepath.Join(t.TempDir(), "bench.json")
	if err := rep.writeJSON(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(data, &back); err != nil || len(back.Results) != len(rep.Results) || back.Plan != "tiny" {
		t.Fatalf("JSON does not read back (%v): %s", err, data)
	}
}

func TestProcReading(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		ci.Skip(t, "no /proc: the benchmark reads CPU time there")
	}
	if _, err := cpuTime(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	m, err := readMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS {
		t.Fatalf("RSS %d, peak %d", m.RSS, m.Peak)
	}
}

func TestSelectScenarios(t *testing.T) {
	all, err := selectScenarios("")
	if err != nil || len(all) != len(scenarios) {
		t.Fatalf("all: %d, %v", len(all), err)
	}
	one, err := selectScenarios("rush")
	if err != nil || len(one) != 1 || one[0].name != "rush" {
		t.Fatalf("rush: %v, %v", one, err)
	}
	if _, err := selectScenarios("nope"); err == nil || !strings.Contains(err.Error(), "join") {
		t.Fatalf("unknown scenario: %v", err)
	}
}

// TestLogField reads the fields the scale scenario takes from tinyscale's
// log lines: the first field of a line, one in the middle, the last.
func TestLogField(t *testing.T) {
	line := "time=2026-12-02T19:34:41.871Z level=INFO msg=api call=join meetingID=m-1 server=fake-1 result=redirect duration=113.202µs\n"
	for _, c := range []struct{ key, want string }{
		{"time", "2026-12-02T19:34:41.871Z"},
		{"call", "join"},
		{"duration", "113.202µs"},
		{"server", "fake-1"},
	} {
		if got, ok := logField(line, c.key); !ok || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.key, got, ok, c.want)
		}
	}
	for _, key := range []string{"meeting", "ID", "missing"} {
		if got, ok := logField(line, key); ok {
			t.Errorf("%s: found %q in a line without that field", key, got)
		}
	}
}
