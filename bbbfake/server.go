// Package bbbfake is a fake BigBlueButton server for tinyscale's tests,
// benchmarks and its demo: a real HTTP server on loopback that answers the
// BBB API as shared/bbb-api.md describes it, keeps meetings, recordings,
// text tracks and webhooks in memory, and can be told to misbehave (slow,
// broken, hanging, resetting, down).
//
// Checksums and error documents are the fake's own implementation of BBB's
// rules (checksum.go, errors.go), independent of package bbb, which it
// tests. A Server is safe for concurrent use.
package bbbfake

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// APIPath is the path of the API base on a fake server.
const APIPath = "/bigbluebutton/api"

// Server is a fake BBB server listening on a TCP address.
type Server struct {
	secret string

	// netMu serialises Close and Restart; it guards hs and stop.
	netMu sync.Mutex
	addr  string // host:port, fixed by the first listen
	laddr string // what Restart listens on: the first listen's host and port
	hs    *http.Server
	stop  chan struct{} // closed by Close: releases hanging and delayed answers

	mu         sync.Mutex
	name       string
	algs       bbb.Algorithm
	delay      time.Duration
	mode       Mode
	callModes  map[string]Mode // per call, over mode
	requests   []Request
	meetings   map[string]*meeting // by external meetingID
	order      []string            // meetingIDs in create order
	ended      map[string]bool     // meetingIDs forcibly ended by the end call
	sessions   map[string]session  // html5client sessions by sessionToken
	recordings []*recording
	noFetchAll bool // allowFetchAllRecordings=false; see SetAllowFetchAllRecordings
	// apiVersion and bbbVersion are what the API root reports; see SetVersion.
	apiVersion, bbbVersion string
	hooks                  []Hook
	nextHook               int
	// The bbb-webhooks side (hooks.go, hook_events.go).
	hooksFlavour HooksFlavour
	hooksAuth2   bool
	hookRetries  []time.Duration
	// endRetries are the waits between meeting-ended callback attempts;
	// nil for BBB's own (endedRetries).
	endRetries []time.Duration
	// endSent is every meeting-ended callback attempt, for tests.
	endSent   []CallbackAttempt
	hookSent  []HookDelivery
	hookWG    sync.WaitGroup
	callbacks sync.WaitGroup // end callbacks under way
}

// Start starts a fake server on 127.0.0.1 with a free port, checking
// checksums against secret. It panics if it cannot listen.
func Start(secret string) *Server {
	s, err := StartAt("127.0.0.1:0", secret)
	if err != nil {
		panic("bbbfake: " + err.Error())
	}
	return s
}

// StartAt starts a fake server listening on addr ("127.0.0.1:0" when
// empty). A listener on an unspecified host (":8080") is reported as
// 127.0.0.1 by Addr and URL.
func StartAt(addr, secret string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		secret:   secret,
		algs:     bbb.AllAlgorithms,
		meetings: map[string]*meeting{},
		ended:    map[string]bool{},
		sessions: map[string]session{},
	}
	tcp := ln.Addr().(*net.TCPAddr)
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.addr = net.JoinHostPort(host, strconv.Itoa(tcp.Port))
	s.laddr = net.JoinHostPort(tcp.IP.String(), strconv.Itoa(tcp.Port))
	s.name = s.addr
	s.serve(ln)
	return s, nil
}

func (s *Server) serve(ln net.Listener) {
	s.stop = make(chan struct{})
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.hs.Serve(ln)
}

// URL returns the API base, "http://127.0.0.1:PORT/bigbluebutton/api".
func (s *Server) URL() string { return "http://" + s.addr + APIPath }

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// Secret returns the server's secret (its securitySalt).
func (s *Server) Secret() string { return s.secret }

// Client returns a bbb.Client for this server, signing with SHA-256.
func (s *Server) Client() *bbb.Client {
	return &bbb.Client{Base: s.URL(), Secret: s.secret, Algorithm: bbb.SHA256}
}

// Name returns the label shown on the html5client page; Addr by default.
func (s *Server) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.name
}

// SetName sets the label shown on the html5client page.
func (s *Server) SetName(name string) {
	s.mu.Lock()
	s.name = name
	s.mu.Unlock()
}

// SetAlgorithms sets supportedChecksumAlgorithms; bbb.AllAlgorithms by default.
func (s *Server) SetAlgorithms(a bbb.Algorithm) {
	s.mu.Lock()
	s.algs = a
	s.mu.Unlock()
}

// SetDelay makes every API answer wait d first. The wait ends early when
// the request is cancelled or the server closed.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetMode sets how API calls are answered; ModeNormal by default.
func (s *Server) SetMode(m Mode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// Close stops listening and drops every open connection, so that later
// connects are refused and hanging answers end. State is kept for Restart.
// Closing a closed server does nothing.
func (s *Server) Close() {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if s.hs == nil {
		return
	}
	s.hs.Close()
	close(s.stop)
	s.hs = nil
}

// Restart listens again on the same address after Close, keeping meetings,
// recordings and hooks. It fails if the server is running or the port has
// been taken meanwhile.
func (s *Server) Restart() error {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if s.hs != nil {
		return errors.New("bbbfake: Restart of a running server")
	}
	ln, err := net.Listen("tcp", s.laddr)
	if err != nil {
		return err
	}
	s.serve(ln)
	return nil
}

// stopped returns the channel closed by the next Close.
func (s *Server) stopped() <-chan struct{} {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if s.hs == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return s.stop
}
