package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	_ "net/http/pprof" // the fleet's profiles, with -profile
	"os"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/pool"
)

// roleFleet runs this binary as a process of fake servers: the scale
// scenario's 500 fakes rendering getMeetings for three pollers are more
// work than the load generator, and in one Go process they would delay
// its sends and its clock (the latencies it measures). In a process of
// their own they are what BBB servers are to tinyscale: other machines,
// here sharing the same cores.
const roleFleet = "fleet"

// fleetSpec is what the fleet process is asked to run (in fleetEnv, JSON).
type fleetSpec struct {
	Servers, Meetings, Users int
	Prefix                   string
	// Pprof, if set, is where the fleet serves net/http/pprof (-profile).
	Pprof string
}

const fleetEnv = "TINYSCALE_BENCH_FLEET"

// fakeRef is one fake server of a fleet process: where it is, its secret.
type fakeRef struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

// serveFleet starts and seeds the fakes of the spec in fleetEnv, each
// meeting with Users participants on audio, one with a camera, running for
// an hour already; writes their refs as one JSON line to out; and serves
// until in reaches its end.
func serveFleet(in io.Reader, out io.Writer) error {
	var spec fleetSpec
	if err := json.Unmarshal([]byte(os.Getenv(fleetEnv)), &spec); err != nil {
		return fmt.Errorf("%s: %v", fleetEnv, err)
	}
	raiseFileLimit()
	if spec.Pprof != "" {
		go http.ListenAndServe(spec.Pprof, nil) // net/http/pprof's handlers are on the default mux
	}
	f := startFleet(spec.Servers)
	defer f.close()
	if err := f.seed(context.Background(), spec.Prefix, spec.Meetings, 0); err != nil {
		return err
	}
	hourAgo := time.Now().Add(-time.Hour)
	refs := make([]fakeRef, len(f))
	for i, s := range f {
		for n := range spec.Meetings {
			id := fmt.Sprintf("%s-%d-%d", spec.Prefix, i, n)
			s.AddUsers(id, spec.Users-1, true, false)
			s.AddUsers(id, 1, true, true)
			s.SetCreated(id, hourAgo)
		}
		refs[i] = fakeRef{URL: s.URL(), Secret: s.Secret()}
	}
	line, _ := json.Marshal(refs)
	fmt.Fprintf(out, "%s\n", line)
	io.Copy(io.Discard, in)
	return nil
}

// fleetProc is a fleet process.
type fleetProc struct {
	*roleProc
	refs []fakeRef
}

// startFleetProc runs this binary again as a fleet of spec and waits
// until its fakes are seeded.
func startFleetProc(spec fleetSpec, wait time.Duration) (*fleetProc, error) {
	js, _ := json.Marshal(spec)
	rp, s, err := startRole("fake fleet", wait, roleEnv+"="+roleFleet, fleetEnv+"="+string(js))
	if err != nil {
		return nil, err
	}
	p := &fleetProc{roleProc: rp}
	if err := json.Unmarshal([]byte(strings.TrimSpace(s)), &p.refs); err != nil {
		p.stop()
		return nil, fmt.Errorf("fake fleet said %.200q: %s", s, rp.tail())
	}
	return p, nil
}

// meetingIDs asks every fake of the fleet for its meetings (getMeetings,
// signed with its secret), in the order of refs.
func (p *fleetProc) meetingIDs(ctx context.Context) ([][]string, error) {
	hc := &http.Client{Timeout: time.Minute}
	defer hc.CloseIdleConnections()
	out := make([][]string, len(p.refs))
	for i, r := range p.refs {
		s := pool.NewServer(r.URL, &bbb.Client{Base: r.URL, Secret: r.Secret, HTTP: hc})
		ms, err := pool.Check(ctx, s)
		for try := 0; err != nil && try < 2 && ctx.Err() == nil; try++ {
			ms, err = pool.Check(ctx, s) // a busy machine: once more
		}
		if err != nil {
			return nil, fmt.Errorf("getMeetings on %s: %v", r.URL, err)
		}
		for _, m := range ms {
			out[i] = append(out[i], m.MeetingID)
		}
	}
	return out, nil
}
