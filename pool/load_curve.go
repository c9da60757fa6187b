package pool

import (
	"slices"
	"sort"
	"time"
)

// loadCurve is the polled part of a server's load as a function of time,
// built once per poll so that placement reads a server's load in
// O(log meetings) instead of summing LoadModel.Cost over every meeting at
// every create (at 500 servers of 20 meetings that sum was 85% of a
// placement's 138 µs).
//
// It is exact, not an approximation: each meeting's cost is piecewise
// linear in time. A young meeting counts its expected size until BBB's
// createTime, then that size decaying linearly over the ramp, until the
// decayed size falls below the participants it really has; from then on
// its participants count. Summed over the meetings, the load is piecewise
// linear with at most two breaks per meeting: between breaks it is
// a - b*t, t in seconds since origin.
type loadCurve struct {
	model  LoadModel
	origin time.Time
	at     []float64 // break times, ascending; at[0] is -Inf
	a, b   []float64 // from at[i] on, the load is a[i] - b[i]*t
}

// curveEvent changes the curve's coefficients from a time on.
type curveEvent struct{ t, da, db float64 }

// newLoadCurve builds the curve of ms under m, times measured from origin.
func newLoadCurve(ms []MeetingLoad, m LoadModel, origin time.Time) *loadCurve {
	c := &loadCurve{model: m, origin: origin}
	var a, final float64 // final: the load once every meeting is past its ramp
	var events []curveEvent
	ramp := m.Ramp.Seconds()
	for _, ml := range ms {
		media := m.Voice*float64(ml.Voice) + m.Video*float64(ml.Video)
		a += media
		final += media
		if ml.Breakout {
			continue // a breakout counts its media only (see Cost)
		}
		a += m.Meeting
		users := float64(ml.Participants)
		final += m.Meeting + users
		e := ml.Expected
		if e <= 0 {
			e = m.MinExpected
		}
		floor := float64(e)
		if ramp <= 0 || floor <= users {
			a += users
			continue
		}
		// Before createTime the full expected size counts; from it the
		// size decays, floor - (floor/ramp)*(t - created); at cross it
		// meets the participants, which count from then on.
		created := ml.Created.Sub(origin).Seconds()
		slope := floor / ramp
		cross := created + ramp*(1-users/floor)
		a += floor
		events = append(events,
			curveEvent{t: created, da: slope * created, db: slope},
			curveEvent{t: cross, da: users - floor - slope*created, db: -slope})
	}
	slices.SortFunc(events, func(x, y curveEvent) int {
		switch {
		case x.t < y.t:
			return -1
		case x.t > y.t:
			return 1
		}
		return 0
	})
	n := len(events) + 1
	c.at, c.a, c.b = make([]float64, 1, n), make([]float64, 1, n), make([]float64, 1, n)
	c.at[0], c.a[0] = negInf, a
	var b float64
	for _, ev := range events {
		a, b = a+ev.da, b+ev.db
		if last := len(c.at) - 1; c.at[last] == ev.t {
			c.a[last], c.b[last] = a, b // events at the same instant: one break
			continue
		}
		c.at, c.a, c.b = append(c.at, ev.t), append(c.a, a), append(c.b, b)
	}
	// After the last break the slopes have cancelled: set the sum exactly
	// rather than keep the rounding of the additions and subtractions.
	if last := len(c.at) - 1; last > 0 {
		c.a[last], c.b[last] = final, 0
	}
	return c
}

var negInf = -1e300

// load returns the curve's value at now.
func (c *loadCurve) load(now time.Time) float64 {
	t := now.Sub(c.origin).Seconds()
	// The last break at or before t. Past the last one (every meeting
	// past its ramp: most servers, most of the time) no search is needed;
	// a shortlist asks this of every candidate of every create.
	i := len(c.at) - 1
	if t < c.at[i] {
		i = sort.Search(len(c.at), func(i int) bool { return c.at[i] > t }) - 1
	}
	if c.b[i] == 0 {
		return c.a[i]
	}
	return c.a[i] - c.b[i]*t
}
