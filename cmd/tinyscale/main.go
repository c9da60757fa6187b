// Command tinyscale is a load balancer for BigBlueButton: one endpoint that
// integrations use as if it were one BBB server, in front of many.
//
// Usage:
//
//	tinyscale            serve (the same as tinyscale serve)
//	tinyscale demo       fake BBB servers and tinyscale in front, on loopback
//	tinyscale servers    list and administer the servers of a running tinyscale
//	tinyscale meetings   list the meetings of a running tinyscale
//	tinyscale tenants    list and administer the tenants of a running tinyscale
//	tinyscale usage      usage per tenant, day or server, for billing
//	tinyscale check      validate the configuration and probe every server
//	tinyscale version
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `tinyscale: a load balancer for BigBlueButton.

Usage:
  tinyscale [serve]   run the load balancer (configuration: environment, servers.json)
  tinyscale demo      start fake BBB servers and tinyscale in front of them on loopback
  tinyscale servers list|add|remove|enable|disable|cordon|panic
                      administer the servers of a running tinyscale (tinyscale servers help)
  tinyscale meetings list
                      which meeting runs on which server, with participants
  tinyscale tenants list|add|remove|rotate-secret
                      administer the tenants of a running tinyscale (docs/tenants.md)
  tinyscale recordings push|import|list|show|delete
                      tinyscale's own recording store (docs/recordings.md)
  tinyscale state export|import [FILE]
                      back up the state, or move it between the embedded store and Redis
  tinyscale usage [--from D] [--to D] [--by tenant|day|server] [--format table|csv|json]
                      meetings, participant-minutes and hours per tenant, day or server
  tinyscale check     validate the configuration and probe every server before a (re)start
  tinyscale version   print the version, commit, build date and Go version
  tinyscale help      this text

Environment: TINYSCALE_SECRET (required), PORT (8000), TINYSCALE_SERVERS (servers.json),
and more in the README. The servers, meetings and tenants commands use TINYSCALE_ADMIN_TOKEN and
TINYSCALE_ADMIN_URL (default http://127.0.0.1:$PORT); see docs/admin.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runCommand(ctx, os.Args[1:]); err != nil && !errors.Is(err, errHelpShown) {
		fmt.Fprintln(os.Stderr, "tinyscale:", err)
		os.Exit(1)
	}
}

func runCommand(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCmd(ctx, args)
	case "demo":
		return demoCmd(ctx, args)
	case "state":
		return stateCmd(ctx, args)
	case "servers":
		return serversCmd(ctx, args, os.Stdin, os.Stdout)
	case "meetings":
		return meetingsCmd(ctx, args, os.Stdout)
	case "tenants":
		return tenantsCmd(ctx, args, os.Stdin, os.Stdout)
	case "usage":
		return usageCmd(ctx, args, os.Stdout)
	case "check":
		return checkCmd(ctx, args, os.Stdout)
	case "recordings":
		return recordingsCmd(ctx, args, os.Stdout)
	case "version", "-version", "--version":
		printVersion(os.Stdout)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return nil
	}
	if envFlag(cmd) != "" {
		// `tinyscale --port 9000`: serve is the default command, so its
		// answer (which variable to set) is the helpful one.
		return takesNoArgs("serve", append([]string{cmd}, args...), serveUsage, os.Stdout)
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}
