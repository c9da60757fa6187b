package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/pool"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

const checkUsage = `Usage: tinyscale check

Checks what tinyscale serve would start with, without starting it: the
environment, servers.json, tenants.json, the state store, and one signed
call to every server. Prints a table and exits 1 if anything is wrong:
the command to run before a restart. It reads the same environment as
serve.
`

// checkResult is one line of check's table.
type checkResult struct {
	what, result, detail string
	bad                  bool
}

// checkCmd is `tinyscale check`.
func checkCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tinyscale check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		if errors.Is(err, flag.ErrHelp) || (fs.NArg() > 0 && fs.Arg(0) == "help") {
			fmt.Fprint(stdout, checkUsage)
			return nil
		}
		return fmt.Errorf("check takes no arguments\n\n%s", checkUsage)
	}
	results := runChecks(ctx, os.Getenv)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tDETAIL")
	bad := 0
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.what, r.result, r.detail)
		if r.bad {
			bad++
		}
	}
	tw.Flush()
	if bad > 0 {
		return fmt.Errorf("check: %d problem(s) found", bad)
	}
	fmt.Fprintln(stdout, "\nall checks passed")
	return nil
}

func ok(what, detail string) checkResult {
	return checkResult{what: what, result: "ok", detail: detail}
}
func fail(what string, err error) checkResult {
	return checkResult{what: what, result: "FAIL", detail: err.Error(), bad: true}
}

// runChecks runs every check it can: a bad environment stops the ones
// that need it, a bad servers.json the server probes.
func runChecks(ctx context.Context, getenv func(string) string) []checkResult {
	env, err := config.LoadEnv(getenv, true)
	if err != nil {
		return []checkResult{fail("environment", err)}
	}
	out := []checkResult{ok("environment", "listen "+env.Listen+", poll every "+env.PollInterval.String()+adminNote(env))}

	if _, err := tenant.LoadFile(env.TenantsFile); err != nil {
		out = append(out, fail("tenants", err))
	} else if _, serr := os.Stat(env.TenantsFile); serr != nil {
		out = append(out, ok("tenants", env.TenantsFile+" absent: the default tenant only"))
	} else {
		list, _ := tenant.LoadFile(env.TenantsFile)
		out = append(out, ok("tenants", fmt.Sprintf("%s: %d tenant(s)", env.TenantsFile, len(list))))
	}

	out = append(out, checkState(ctx, env))

	servers, err := config.LoadServers(env.ServersFile)
	if err != nil {
		return append(out, fail("servers", err))
	}
	out = append(out, ok("servers", fmt.Sprintf("%s: %d server(s)", env.ServersFile, len(servers))))
	return append(out, probeServers(ctx, env, servers)...)
}

func adminNote(env *config.Env) string {
	if env.AdminToken == "" {
		return "; admin API and dashboard off (no TINYSCALE_ADMIN_TOKEN)"
	}
	return "; admin API and dashboard on"
}

// checkState checks the store serve would open, without taking it from a
// running tinyscale: Redis answers, or the data directory is writable.
func checkState(ctx context.Context, env *config.Env) checkResult {
	if env.RedisURL != "" {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s, err := state.OpenRedis(cctx, env.RedisURL)
		if err != nil {
			return fail("state", fmt.Errorf("TINYSCALE_REDIS_URL: %v", err))
		}
		s.Close()
		return ok("state", "Redis answers")
	}
	if err := os.MkdirAll(env.DataDir, 0o700); err != nil {
		return fail("state", fmt.Errorf("TINYSCALE_DATA=%s: %v", env.DataDir, err))
	}
	f, err := os.CreateTemp(env.DataDir, ".tinyscale-check-")
	if err != nil {
		return fail("state", fmt.Errorf("TINYSCALE_DATA=%s is not writable: %v", env.DataDir, err))
	}
	f.Close()
	os.Remove(f.Name())
	detail := filepath.Join(env.DataDir, stateFile)
	if _, err := os.Stat(detail); err == nil {
		detail += " (exists)"
	} else {
		detail += " (will be created)"
	}
	return ok("state", detail)
}

// probeServers makes one signed getMeetings call to every server at once,
// as serve's startup check does.
func probeServers(ctx context.Context, env *config.Env, servers []config.Server) []checkResult {
	transport := bbb.NewTransport(env.ConnectTimeout, env.RequestTimeout)
	defer transport.CloseIdleConnections()
	hc := bbb.NewHTTPClient(transport)
	out := make([]checkResult, len(servers))
	var wg sync.WaitGroup
	for i, sc := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := pool.NewServer(sc.ID, &bbb.Client{Base: sc.Host, Secret: sc.Secret, Algorithm: sc.SigningAlgorithm(), HTTP: hc})
			cctx, cancel := context.WithTimeout(ctx, env.RequestTimeout)
			defer cancel()
			start := time.Now()
			ms, err := pool.Check(cctx, s)
			what := "server " + sc.ID
			if err != nil {
				out[i] = fail(what, fmt.Errorf("%s: %v", sc.Host, err))
				return
			}
			users := 0
			for _, m := range ms {
				users += m.Participants
			}
			out[i] = ok(what, fmt.Sprintf("%s: answered in %s, %d meeting(s), %d participant(s)",
				sc.Host, time.Since(start).Round(time.Millisecond), len(ms), users))
		}()
	}
	wg.Wait()
	return out
}
