package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/config"
)

// demoServers is how many fake BBB servers the demo starts.
const demoServers = 3

// demoCmd starts fake BBB servers on loopback and tinyscale in front of
// them, and prints signed URLs to try: tinyscale working in one command,
// with nothing else installed.
func demoCmd(ctx context.Context, args []string) error {
	if err := takesNoArgs("demo", args, demoUsage, os.Stdout); err != nil {
		return err
	}
	env, err := config.LoadEnv(os.Getenv, false)
	if err != nil {
		return err
	}
	if env.Secret == "" {
		env.Secret = randomHex(16)
	}
	if os.Getenv("TINYSCALE_LISTEN") == "" {
		port := os.Getenv("PORT")
		if port == "" {
			port = config.DefaultPort
		}
		env.Listen = "127.0.0.1:" + port
	}
	// The fake servers call back on loopback, and the admin API is on, so
	// a newcomer can try callbacks and `tinyscale servers list` too.
	if env.PublicURL == "" {
		env.PublicURL = "http://" + env.Listen
	}
	if env.AdminToken == "" {
		env.AdminToken = randomHex(16)
	}
	var servers []config.Server
	for i := 1; i <= demoServers; i++ {
		f := bbbfake.Start(randomHex(16))
		f.SetName(fmt.Sprintf("bbb-%d", i))
		defer f.Close()
		servers = append(servers, config.Server{ID: f.Name(), Host: f.URL(), Secret: f.Secret(), Weight: 1})
	}
	log, closeLog := newLogger(env)
	defer closeLog()
	return run(ctx, env, servers, log, func(addr string) {
		printDemo(os.Stdout, "http://"+addr+"/bigbluebutton/api", env.Secret, env.AdminToken)
	})
}

// printDemo tells a newcomer what runs and what to try.
func printDemo(w io.Writer, api, secret, adminToken string) {
	signed := func(call string, v url.Values) string {
		return api + "/" + call + "?" + bbb.Sign(bbb.SHA256, call, v.Encode(), secret)
	}
	room := url.Values{"meetingID": {"demo-room"}}
	create := url.Values{"meetingID": {"demo-room"}, "name": {"Demo Room"}}
	join := url.Values{"meetingID": {"demo-room"}, "fullName": {"Ada Lovelace"}, "role": {"MODERATOR"}}
	fmt.Fprintf(w, `
tinyscale demo: %d fake BBB servers on loopback, tinyscale in front of them.

  API URL  %s
  Secret   %s

Configure an integration with these, or try the signed URLs below:

  1. create a meeting:
     curl '%s'
  2. join it (open in a browser; tinyscale redirects to the server holding it):
     %s
  3. list meetings on all servers:
     curl '%s'
  4. end it:
     curl '%s'

Administer it from another terminal:

  TINYSCALE_ADMIN_URL=%s TINYSCALE_ADMIN_TOKEN=%s %s servers list

Press Ctrl-C to stop.
`, demoServers, api, secret, signed("create", create), signed("join", join),
		signed("getMeetings", url.Values{}), signed("end", room),
		strings.TrimSuffix(api, "/bigbluebutton/api"), adminToken, selfCommand())
}

// selfCommand is how the user ran tinyscale: its path, or `go run
// ./cmd/tinyscale` when it was started that way (a temporary binary).
func selfCommand() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./cmd/tinyscale"
	}
	return os.Args[0]
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
