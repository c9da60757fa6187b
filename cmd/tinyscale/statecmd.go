package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/state"
)

const stateUsage = `Usage:
  tinyscale state export [FILE]   write the state (placements, recordings, admin changes) as JSON
  tinyscale state import [FILE]   read such JSON into the configured store

FILE defaults to standard output or input. The store is the one serve uses:
TINYSCALE_REDIS_URL when set, else the file under TINYSCALE_DATA. The embedded
file can be open in one process only: stop tinyscale before exporting it. To
move from the file to Redis, export with TINYSCALE_DATA set, then import with
TINYSCALE_REDIS_URL set.
`

// stateCmd backs up and moves the state between stores.
func stateCmd(ctx context.Context, args []string) error {
	switch {
	case len(args) == 0:
		return fmt.Errorf("state needs a command: export or import\n\n%s", stateUsage)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Print(stateUsage)
		return nil
	case args[0] != "export" && args[0] != "import":
		return fmt.Errorf("unknown state command %q\n\n%s", args[0], stateUsage)
	case len(args) > 2:
		return fmt.Errorf("state %s takes at most one FILE\n\n%s", args[0], stateUsage)
	}
	env, err := config.LoadEnv(os.Getenv, false)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, env, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer store.Close()
	if args[0] == "export" {
		var w io.Writer = os.Stdout
		if len(args) == 2 {
			f, err := os.OpenFile(args[1], os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) // it holds secrets
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		return state.Export(store, w)
	}
	var r io.Reader = os.Stdin
	if len(args) == 2 {
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	n, err := state.Import(store, r)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "imported %d entries\n", n)
	return nil
}
