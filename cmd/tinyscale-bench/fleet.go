package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
)

// fleet is a set of fake BBB servers running in this process on loopback.
type fleet []*bbbfake.Server

// startFleet starts n fake servers, each with a secret of its own.
func startFleet(n int) fleet {
	f := make(fleet, n)
	for i := range f {
		f[i] = bbbfake.Start(fmt.Sprintf("fake-secret-%04d", i))
	}
	return f
}

func (f fleet) close() {
	for _, s := range f {
		s.Close()
	}
}

// setDelay makes every server of f answer after d.
func (f fleet) setDelay(d time.Duration) {
	for _, s := range f {
		s.SetDelay(d)
	}
}

// meetings counts the meetings running on the servers of f.
func (f fleet) meetings() int {
	n := 0
	for _, s := range f {
		n += len(s.Meetings())
	}
	return n
}

// seed creates perServer meetings on every server directly (not through
// tinyscale), named prefix-<server>-<n>, each with users participants
// (voice on), as if they had been running before tinyscale started.
func (f fleet) seed(ctx context.Context, prefix string, perServer, users int) error {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	defer hc.CloseIdleConnections()
	jobs := make(chan [2]int)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s := f[j[0]]
				id := fmt.Sprintf("%s-%d-%d", prefix, j[0], j[1])
				if err := get(ctx, hc, fakeURL(s, bbb.CallCreate, createQuery(id)), "<returncode>SUCCESS</returncode>"); err != nil {
					select {
					case errc <- fmt.Errorf("seed %s on %s: %v", id, s.Addr(), err):
					default:
					}
					continue
				}
				if users > 0 {
					s.AddUsers(id, users, true, false)
				}
			}
		}()
	}
feed:
	for i := range f {
		for n := range perServer {
			select {
			case jobs <- [2]int{i, n}:
			case err := <-errc:
				errc <- err
				break feed
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return ctx.Err()
	}
}

// get sends GET u and checks that the answer is HTTP 200 holding want.
func get(ctx context.Context, hc *http.Client, u, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("HTTP %d: %.200s", res.StatusCode, body)
	}
	return nil
}

// fakeURL returns a call on a fake server, signed with its secret.
func fakeURL(s *bbbfake.Server, call, query string) string {
	return s.URL() + "/" + call + "?" + bbb.Sign(bbb.SHA256, call, query, s.Secret())
}

// tsURL returns a call on tinyscale, signed with the benchmark's secret.
func tsURL(t *tinyscaleProc, call, query string) string {
	return t.apiURL(call) + "?" + bbb.Sign(bbb.SHA256, call, query, benchSecret)
}

// createQuery is a create as an integration sends it, unsigned.
func createQuery(meetingID string) string {
	return url.Values{
		"meetingID":   {meetingID},
		"name":        {"Room " + meetingID},
		"attendeePW":  {"ap-" + meetingID},
		"moderatorPW": {"mp-" + meetingID},
		"record":      {"false"},
	}.Encode()
}

// joinQuery is a join as Greenlight sends it (sorted keys, form encoding,
// a few userdata settings; about 250 bytes), unsigned.
func joinQuery(meetingID string, user int) string {
	return url.Values{
		"meetingID":                            {meetingID},
		"fullName":                             {fmt.Sprintf("Participant Nummer %d", user)},
		"role":                                 {"VIEWER"},
		"userID":                               {fmt.Sprintf("bench-user-%08d", user)},
		"avatarURL":                            {"https://greenlight.example.org/avatars/default.png"},
		"userdata-bbb_skip_check_audio":        {"true"},
		"userdata-bbb_auto_join_audio":         {"true"},
		"userdata-bbb_override_default_locale": {"de"},
	}.Encode()
}
