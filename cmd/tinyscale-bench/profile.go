package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

// profileRound runs a under tinyscale's profiler (TINYSCALE_PPROF_LISTEN
// at addr): a CPU profile over the attack, then the allocations since the
// start, written to e.profileDir as <name>-cpu.pprof and
// <name>-allocs.pprof, for `go tool pprof`.
func profileRound(ctx context.Context, e *benchEnv, addr, name string, a attack, t *tally) error {
	secs := max(1, int(a.duration/time.Second))
	errc := make(chan error, 1)
	go func() {
		errc <- fetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), filepath.Join(e.profileDir, name+"-cpu.pprof"))
	}()
	time.Sleep(100 * time.Millisecond) // the profile is on before the load
	if err := a.run(ctx, t); err != nil {
		return err
	}
	if err := <-errc; err != nil {
		return err
	}
	allocs := filepath.Join(e.profileDir, name+"-allocs.pprof")
	if err := fetchProfile(ctx, "http://"+addr+"/debug/pprof/allocs", allocs); err != nil {
		return err
	}
	e.logf("profiles written: %s, %s", filepath.Join(e.profileDir, name+"-cpu.pprof"), allocs)
	return nil
}

// fetchProfile GETs a profile and writes it to path.
func fetchProfile(ctx context.Context, u, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		return fmt.Errorf("profile: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: HTTP %d", u, res.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// profileSelf starts a CPU profile of the benchmark's own process, written
// to path when the returned stop is called.
func profileSelf(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
