package main

import "time"

// plan holds the sizes of one run: the full run measures what the issue
// asks; the quick run and the test's tiny run are the same scenarios
// scaled down.
type plan struct {
	name string

	// join: alternating rounds of the ceiling and tinyscale, each this long.
	joinRounds   int
	joinRound    time.Duration
	joinWorkers  int
	joinMeetings int // meetings created before the joins
	joinURLs     int // distinct signed join URLs

	// create: alternating rounds, direct and through tinyscale, each of
	// createPerRound creates sent one at a time.
	createRounds   int
	createPerRound int

	// getmeetings: sequential calls over servers answering after a delay.
	gmServers  int
	gmMeetings int // per server
	gmDelay    time.Duration
	gmCalls    int

	// rush: rushJoins and rushCreates sent within rushSpread over rushServers.
	rushServers int
	rushJoins   int
	rushCreates int
	rushSpread  time.Duration

	// polling: pollServers with pollMeetings each, pollUsers in each
	// meeting, polled every pollInterval; CPU measured over pollWindow.
	pollServers  int
	pollMeetings int
	pollUsers    int
	pollInterval time.Duration
	pollWindow   time.Duration

	// memory: RSS idle after memSettle, then with memMeetings placed.
	memServers  int
	memMeetings int
	memSettle   time.Duration

	// scale: scaleServers × scaleMeetings running meetings of scaleUsers,
	// behind scaleInstances sharing one Redis, polled every
	// scaleInterval; CPU over scaleIdle with no traffic; then scaleJoins
	// and scaleCreates within scaleSpread.
	scaleServers, scaleMeetings, scaleUsers int
	scaleInstances                          int
	scaleInterval, scaleIdle                time.Duration
	scaleJoins, scaleCreates                int
	scaleSpread                             time.Duration

	// soak: soakCycles of soakMeetings created, joined twice and ended,
	// with soakBadChecksums wrong checksums, polled every soakPoll.
	soakCycles, soakMeetings, soakBadChecksums int
	soakPoll                                   time.Duration
}

// defaultPollInterval is tinyscale's TINYSCALE_POLL_INTERVAL default, the
// interval the polling cost is stated for.
const defaultPollInterval = 10 * time.Second

// fullPlan is what the issue asks for: about three minutes.
var fullPlan = plan{
	name:       "full",
	joinRounds: 3, joinRound: 5 * time.Second, joinWorkers: 32, joinMeetings: 200, joinURLs: 2000,
	createRounds: 4, createPerRound: 250,
	gmServers: 20, gmMeetings: 5, gmDelay: 50 * time.Millisecond, gmCalls: 60,
	rushServers: 100, rushJoins: 4000, rushCreates: 400, rushSpread: time.Second,
	pollServers: 500, pollMeetings: 20, pollUsers: 5, pollInterval: defaultPollInterval, pollWindow: 30 * time.Second,
	memServers: 5, memMeetings: 10000, memSettle: 2 * time.Second,
	scaleServers: 500, scaleMeetings: 100, scaleUsers: 3, scaleInstances: 3,
	scaleInterval: defaultPollInterval, scaleIdle: 20 * time.Second,
	scaleJoins: 20000, scaleCreates: 2000, scaleSpread: 10 * time.Second,
	soakCycles: 10, soakMeetings: 2000, soakBadChecksums: 200, soakPoll: time.Second,
}

// quickPlan runs every scenario at its real scale where that is cheap, and
// shorter where time is the cost: shorter join rounds, a 2s poll interval
// (the CPU figure is scaled to the default interval).
var quickPlan = plan{
	name:       "quick",
	joinRounds: 2, joinRound: 1500 * time.Millisecond, joinWorkers: 32, joinMeetings: 100, joinURLs: 1000,
	createRounds: 2, createPerRound: 100,
	gmServers: 20, gmMeetings: 5, gmDelay: 50 * time.Millisecond, gmCalls: 15,
	rushServers: 100, rushJoins: 4000, rushCreates: 400, rushSpread: time.Second,
	pollServers: 500, pollMeetings: 20, pollUsers: 5, pollInterval: 2 * time.Second, pollWindow: 6 * time.Second,
	memServers: 5, memMeetings: 2000, memSettle: time.Second,
	scaleServers: 100, scaleMeetings: 50, scaleUsers: 5, scaleInstances: 3,
	scaleInterval: 2 * time.Second, scaleIdle: 4 * time.Second,
	scaleJoins: 6000, scaleCreates: 600, scaleSpread: 3 * time.Second,
	soakCycles: 4, soakMeetings: 1000, soakBadChecksums: 100, soakPoll: time.Second,
}

// tinyPlan exercises every scenario in a few seconds, for the test: the
// figures mean nothing, only that each scenario runs and answers sanely.
var tinyPlan = plan{
	name:       "tiny",
	joinRounds: 1, joinRound: 300 * time.Millisecond, joinWorkers: 4, joinMeetings: 5, joinURLs: 20,
	createRounds: 1, createPerRound: 10,
	gmServers: 3, gmMeetings: 2, gmDelay: 20 * time.Millisecond, gmCalls: 3,
	rushServers: 3, rushJoins: 100, rushCreates: 10, rushSpread: 200 * time.Millisecond,
	pollServers: 5, pollMeetings: 2, pollUsers: 2, pollInterval: 200 * time.Millisecond, pollWindow: 600 * time.Millisecond,
	memServers: 2, memMeetings: 50, memSettle: 100 * time.Millisecond,
	scaleServers: 4, scaleMeetings: 3, scaleUsers: 2, scaleInstances: 2,
	scaleInterval: 200 * time.Millisecond, scaleIdle: 400 * time.Millisecond,
	scaleJoins: 80, scaleCreates: 8, scaleSpread: 300 * time.Millisecond,
	soakCycles: 2, soakMeetings: 10, soakBadChecksums: 5, soakPoll: 200 * time.Millisecond,
}
