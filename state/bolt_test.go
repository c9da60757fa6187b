package state

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBoltReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	claim(t, b, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s1", Expected: 12, CreatedAt: at}, "")
	claim(t, b, Meeting{Tenant: "t2", MeetingID: "m1", ServerID: "s2"}, "")
	claim(t, b, Meeting{Tenant: DefaultTenant, MeetingID: "ended", ServerID: "s1"}, "")
	must(t, b.Release(DefaultTenant, "ended", "s1"))
	must(t, b.SetRecordingOwner("r1", "s2"))
	must(t, b.SaveDoc("admin", []byte(`{"s1":"cordoned"}`)))
	must(t, b.Close())

	b, err = OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m, ok := b.Get(DefaultTenant, "m1")
	if !ok || m.ServerID != "s1" || m.Expected != 12 || !m.CreatedAt.Equal(at) {
		t.Fatalf("after reopen Get(m1) = %+v, %v", m, ok)
	}
	if sid, _ := b.Lookup("t2", "m1"); sid != "s2" {
		t.Fatalf("after reopen t2/m1 is on %q, want s2", sid)
	}
	if _, ok := b.Lookup(DefaultTenant, "ended"); ok {
		t.Fatal("a released meeting came back after reopen")
	}
	if sid, _ := b.RecordingOwner("r1"); sid != "s2" {
		t.Fatalf("after reopen r1 is on %q", sid)
	}
	if d, _ := b.LoadDoc("admin"); string(d) != `{"s1":"cordoned"}` {
		t.Fatalf("after reopen admin doc = %q", d)
	}
	if n := len(b.Meetings()); n != 2 {
		t.Fatalf("after reopen %d meetings, want 2", n)
	}
}

func TestBoltSecondOpenFailsClearly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	start := time.Now()
	b2, err := OpenBolt(path)
	if err == nil {
		b2.Close()
		t.Fatal("a second OpenBolt of a file in use succeeded")
	}
	if !strings.Contains(err.Error(), "is used by another tinyscale process") || !strings.Contains(err.Error(), path) {
		t.Fatalf("error does not say the file is in use: %v", err)
	}
	if d := time.Since(start); d > 5*boltLockTimeout {
		t.Fatalf("second OpenBolt took %v to fail", d)
	}
}

func TestBoltWritesFailAfterClose(t *testing.T) {
	b, err := OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	claim(t, b, Meeting{Tenant: DefaultTenant, MeetingID: "m1", ServerID: "s1"}, "")
	must(t, b.Close())
	if _, err := b.Claim(Meeting{Tenant: DefaultTenant, MeetingID: "m2", ServerID: "s1"}, ""); err == nil {
		t.Fatal("Claim after Close succeeded")
	}
	if _, ok := b.Lookup(DefaultTenant, "m2"); ok {
		t.Fatal("a failed claim is visible")
	}
	if sid, _ := b.Lookup(DefaultTenant, "m1"); sid != "s1" {
		t.Fatal("reads stopped after Close")
	}
}

// killChildEnv makes the test binary a child that claims meetings until it
// is killed; see TestBoltSurvivesKill9.
const killChildEnv = "TINYSCALE_TEST_BOLT_KILL_CHILD"

// TestBoltSurvivesKill9 kills a process with SIGKILL in the middle of a
// burst of concurrent claims: every claim it acknowledged must be in the
// file when it is opened again.
func TestBoltSurvivesKill9(t *testing.T) {
	if path := os.Getenv(killChildEnv); path != "" {
		claimUntilKilled(path)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "state.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestBoltSurvivesKill9$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]string{} // meetingID → server, as the child acknowledged them
	rd := bufio.NewReader(out)
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for len(acked) < 300 {
		line, err := rd.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child stopped after %d acknowledged claims: %v", len(acked), err)
		}
		if rest, ok := strings.CutPrefix(line, "ack "); ok { // other lines are the test binary's
			id, sid, _ := strings.Cut(strings.TrimSuffix(rest, "\n"), " ")
			acked[id] = sid
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code, no Close
		t.Fatal(err)
	}
	cmd.Wait()

	b, err := OpenBolt(path)
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer b.Close()
	for id, sid := range acked {
		if got, ok := b.Lookup(DefaultTenant, id); !ok || got != sid {
			t.Errorf("acknowledged %s on %s; after kill -9 Lookup = %q, %v", id, sid, got, ok)
		}
	}
	t.Logf("%d acknowledged claims, %d meetings in the file", len(acked), len(b.Meetings()))
}

// claimUntilKilled is the child: 8 goroutines claim meetings and print
// "ack <meetingID> <server>" once each claim has returned. It gives up
// after 30s in case the parent died.
func claimUntilKilled(path string) {
	b, err := OpenBolt(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	stop := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				id, sid := fmt.Sprintf("m-%d-%d", g, i), fmt.Sprintf("s%d", i%5)
				if _, err := b.Claim(Meeting{Tenant: DefaultTenant, MeetingID: id, ServerID: sid}, ""); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s %s\n", id, sid)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(3)
}
