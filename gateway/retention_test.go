package gateway_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/internal/testheap"
)

// TestRunningMeetingsKeepNoRequest: what a running meeting costs tinyscale
// is its placement's, reservation's and create's own few bytes, not the
// create request they were read from. Every ID tinyscale reads from a
// request is cut from the request's whole query, and each table that kept
// one (the placements, the pending reservations, the creates under way)
// kept the whole query alive with it: here 64 KB a meeting. The meetings
// stay running and unpolled, as between two polls.
func TestRunningMeetingsKeepNoRequest(t *testing.T) {
	c := newCluster(t, 2)
	pad := strings.Repeat("p", 64<<10) // a parameter BBB ignores
	const meetings = 20
	kept := testheap.Retained(func() int {
		for i := range meetings {
			r := c.call("create", url.Values{"meetingID": {fmt.Sprintf("room-%d", i)}, "name": {"Room"}, "padding": {pad}})
			if !r.OK() {
				t.Fatalf("create %d: %s", i, r.MessageKey)
			}
		}
		for _, fk := range c.fakes {
			fk.ResetRequests() // the fakes' own record of what they were sent
		}
		return 0
	})
	if n := len(c.store.Meetings()); n != meetings {
		t.Fatalf("%d placements, want %d", n, meetings)
	}
	// The fake servers run in this process and keep each meeting's
	// parameters, the padding too: 1,280 KB, and some 12 % more of the
	// bodies they were cut from. tinyscale's tables of 20 meetings are a
	// few KB; a query kept by any of them is another 64 KB a meeting
	// (1,280 KB more).
	fakes := int64(meetings * len(pad))
	if kept > fakes*5/4+256<<10 {
		t.Errorf("%d running meetings keep %d KB alive: %d KB more than the fakes' copies of their parameters (a create's query is %d KB)",
			meetings, kept>>10, (kept-fakes)>>10, len(pad)>>10)
	}
}
