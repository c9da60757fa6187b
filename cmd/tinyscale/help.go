package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

const serveUsage = `Usage:
  tinyscale [serve]

Runs the load balancer. It takes no flags or arguments: everything is set
through the environment, so that a systemd unit, a container and a shell
configure it the same way. The essentials:

  TINYSCALE_SECRET    the secret integrations use for tinyscale (required)
  PORT                the port to listen on (8000)
  TINYSCALE_SERVERS   the server list (servers.json)

Every other setting is in the README's configuration table.
`

const demoUsage = `Usage:
  tinyscale demo

Starts three fake BBB servers and tinyscale in front of them, all on
loopback, and prints signed create and join URLs to try with curl or a
browser. TINYSCALE_SECRET and PORT are used when set; nothing is written to
disk but a temporary directory.
`

// errHelpShown says a command printed its help on request: the process
// exits 0 and prints nothing more.
var errHelpShown = errors.New("help shown")

// takesNoArgs is the argument check of the commands configured by the
// environment alone (serve, demo). It prints usage for -h/--help, points a
// user who reaches for a flag to the variable that does the job, and refuses
// anything else with the usage.
func takesNoArgs(cmd string, args []string, usage string, stdout io.Writer) error {
	if len(args) == 0 {
		return nil
	}
	switch a := args[0]; {
	case a == "help" || a == "-h" || a == "-help" || a == "--help":
		fmt.Fprint(stdout, usage)
		return errHelpShown
	case envFlag(a) != "":
		v := ""
		if _, after, ok := strings.Cut(a, "="); ok {
			v = after
		} else if len(args) > 1 {
			v = args[1]
		}
		if v == "" {
			v = "..."
		}
		return fmt.Errorf("%s has no %s flag: set the environment variable instead, e.g. %s=%s tinyscale %s", cmd, strings.SplitN(a, "=", 2)[0], envFlag(a), v, cmd)
	}
	return fmt.Errorf("%s takes no arguments; configure it with environment variables (see the README)\n\n%s", cmd, usage)
}

// envFlag maps a flag a newcomer may try to the variable that sets it.
func envFlag(arg string) string {
	name := strings.TrimLeft(strings.SplitN(arg, "=", 2)[0], "-")
	if name == arg {
		return "" // not a flag
	}
	switch strings.ToLower(name) {
	case "port", "p":
		return "PORT"
	case "listen", "addr", "address", "bind":
		return "TINYSCALE_LISTEN"
	case "secret":
		return "TINYSCALE_SECRET"
	case "servers", "config", "c":
		return "TINYSCALE_SERVERS"
	case "redis", "redis-url":
		return "TINYSCALE_REDIS_URL"
	case "data", "data-dir":
		return "TINYSCALE_DATA"
	}
	return ""
}
