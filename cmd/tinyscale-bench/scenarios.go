package main

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// benchEnv is what every scenario gets: the binary to start and the sizes.
type benchEnv struct {
	bin  string
	plan plan
	log  io.Writer // progress lines
	// profileDir, when set, gets CPU and allocation profiles of tinyscale
	// under load (-profile).
	profileDir string
}

// logf writes one indented progress line.
func (e *benchEnv) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "             "+format+"\n", args...)
}

// scenario is one measurement; run returns one or more table rows.
type scenario struct {
	name  string
	about string
	run   func(ctx context.Context, e *benchEnv) ([]result, error)
}

// scenarios in the order they run: the cheap ones first.
var scenarios = []scenario{
	{"join", "join throughput at 32 connections, against a bare 302 server", runJoin},
	{"create", "create latency through tinyscale, against the fake server directly", runCreate},
	{"getmeetings", "getMeetings over servers that each answer after 50 ms", runGetMeetings},
	{"rush", "a morning rush: joins and creates arriving within one second", runRush},
	{"polling", "the poller's CPU time over many servers", runPolling},
	{"memory", "RSS idle and with many meetings placed", runMemory},
	{"recordings", "the recording store: upload RSS, getRecordings over a large index, playback beside a file server", runRecordings},
	{"scale", "a large fleet behind three instances sharing one Redis, in a morning rush", runScale},
	{"soak", "memory after many cycles of meetings created, joined and ended", runSoak},
}

func scenarioNames() []string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s.name)
	}
	return names
}

// selectScenarios returns all scenarios, or the one named only.
func selectScenarios(only string) ([]scenario, error) {
	if only == "" {
		return scenarios, nil
	}
	for _, s := range scenarios {
		if s.name == only {
			return []scenario{s}, nil
		}
	}
	return nil, fmt.Errorf("-only %q: no such scenario; use one of %s", only, strings.Join(scenarioNames(), ", "))
}
