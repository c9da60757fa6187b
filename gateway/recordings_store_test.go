package gateway_test

import (
	"bytes"
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/bbbfake"
	"github.com/tinyscale/tinyscale/gateway"
	"github.com/tinyscale/tinyscale/recordings"
	"github.com/tinyscale/tinyscale/recordings/rectest"
	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// storeCluster is a cluster whose tinyscale keeps its own recording store.
func storeCluster(t *testing.T, n int, tenants ...tenant.Tenant) (*cluster, *recordings.Library) {
	t.Helper()
	reg, err := tenant.NewRegistry(tenant.Tenant{Secrets: []string{testSecret}}, tenants)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := recordings.OpenFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lib := &recordings.Library{Store: fs, Index: state.NewMemory(), Tenants: reg, PublicURL: "https://lb.example.org"}
	c := newCluster(t, n, func(cfg *gateway.Config) { cfg.Recordings, cfg.Tenants = lib, reg })
	return c, lib
}

// pushFolder stores a realistic published folder as a push would.
func pushFolder(t *testing.T, lib *recordings.Library, r rectest.Recording) {
	t.Helper()
	dir, err := r.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := recordings.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.WriteTar(&b); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Push(context.Background(), "origin", f.RecordID, f.Format, &b); err != nil {
		t.Fatal(err)
	}
}

func storedRec(meeting string, i int) rectest.Recording {
	start := int64(1_700_000_000_000 + i*1000)
	return rectest.Recording{RecordID: rectest.RecordID(meeting+string(rune('a'+i)), start), MeetingID: meeting, Name: "Course",
		Format: "presentation", StartTime: start, Meta: map[string]string{"gl-listed": "true"}}
}

func TestStoredRecordingsListedOnceAndMerged(t *testing.T) {
	c, lib := storeCluster(t, 2)
	// Stored: 0, 2, 4. Its origin still lists 0; not pushed yet: 1, 3.
	for _, i := range []int{0, 2, 4} {
		pushFolder(t, lib, storedRec("course", i))
	}
	for _, i := range []int{0, 1, 3} {
		r := storedRec("course", i)
		c.fakes[i%2].AddRecording(bbbfake.Recording{RecordID: r.RecordID, MeetingID: "course", Name: "Course", State: "published",
			StartTime: r.StartTime, EndTime: r.StartTime + 60000})
	}
	_, body := c.get(signed("getRecordings", url.Values{"meetingID": {"course"}}))
	ids, _ := recordIDs(t, body)
	var want []string
	for i := range 5 {
		want = append(want, storedRec("course", i).RecordID)
	}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v\nwant   %v", ids, want)
	}
	if !strings.Contains(body, "<url>https://lb.example.org/playback/presentation/2.3/"+want[0]+"</url>") {
		t.Fatalf("the stored copy is not the one listed: %s", body)
	}
	for _, tc := range []struct {
		offset, limit string
		first, n      int
	}{{"0", "2", 0, 2}, {"2", "2", 2, 2}, {"4", "2", 4, 1}, {"1", "0", 1, 1}} {
		_, body := c.get(signed("getRecordings", url.Values{"meetingID": {"course"}, "offset": {tc.offset}, "limit": {tc.limit}}))
		ids, r := recordIDs(t, body)
		if r.Get("totalElements") != "5" || len(ids) != tc.n || ids[0] != want[tc.first] {
			t.Errorf("offset %s limit %s: %v total %q", tc.offset, tc.limit, ids, r.Get("totalElements"))
		}
	}
	// Filters run on the store too.
	_, body = c.get(signed("getRecordings", url.Values{"recordID": {want[2][:14]}}))
	if ids, _ := recordIDs(t, body); len(ids) != 1 || ids[0] != want[2] {
		t.Fatalf("recordID prefix: %v", ids)
	}
	_, body = c.get(signed("getRecordings", url.Values{"meta_gl-listed": {"true"}}))
	if ids, _ := recordIDs(t, body); len(ids) != 3 {
		t.Fatalf("meta filter: %v", ids)
	}
	// The origin gone, the stored recordings stay.
	for _, f := range c.fakes {
		f.Close()
	}
	_, body = c.get(signed("getRecordings", url.Values{"meetingID": {"course"}}))
	if ids, _ := recordIDs(t, body); len(ids) != 3 {
		t.Fatalf("with every server down: %v", ids)
	}
}

func TestStoredRecordingActions(t *testing.T) {
	c, lib := storeCluster(t, 1)
	r := storedRec("course", 0)
	pushFolder(t, lib, r)
	id := r.RecordID
	list := func(state string) []string {
		_, body := c.get(signed("getRecordings", url.Values{"recordID": {id}, "state": {state}}))
		ids, _ := recordIDs(t, body)
		return ids
	}
	for _, tc := range []struct {
		call  string
		v     url.Values
		elem  string
		value string
	}{
		{"publishRecordings", url.Values{"recordID": {id}, "publish": {"false"}}, "published", "false"},
		{"updateRecordings", url.Values{"recordID": {id}, "meta_gl-listed": {"false"}, "meta_Extra": {"x"}}, "updated", "true"},
		{"publishRecordings", url.Values{"recordID": {id}, "publish": {"true"}}, "published", "true"},
		{"deleteRecordings", url.Values{"recordID": {id}}, "deleted", "true"},
	} {
		rr := c.call(tc.call, tc.v)
		if !rr.OK() || rr.Get(tc.elem) != tc.value {
			t.Fatalf("%s: %s %s, <%s>%s", tc.call, rr.ReturnCode, rr.MessageKey, tc.elem, rr.Get(tc.elem))
		}
		switch tc.call {
		case "updateRecordings":
			got, _ := lib.Get("default", id)
			if got.Meta["gl-listed"] != "false" || got.Meta["extra"] != "x" {
				t.Fatalf("meta after update: %v", got.Meta)
			}
		case "deleteRecordings":
			if len(list("")) != 0 || len(list("deleted")) != 1 {
				t.Fatal("a deleted recording is listed by default, or not for state=deleted")
			}
		default:
			if got := list("any"); len(got) != 1 {
				t.Fatalf("after %s: %v", tc.call, got)
			}
		}
	}
	wantKey(t, c.call("publishRecordings", url.Values{"recordID": {id}}), bbb.Failed, "missingParamPublish")
	wantKey(t, c.call("deleteRecordings", url.Values{"recordID": {"nosuch-1"}}), bbb.Failed, "notFound")
}

func TestStoredRecordingsBelongToTheirTenant(t *testing.T) {
	c, lib := storeCluster(t, 1, tenant.Tenant{Name: "uni-a", Secrets: []string{"uni-a-secret"}})
	r := storedRec("uni-a~course", 0)
	pushFolder(t, lib, r)
	// The default tenant neither lists nor changes it.
	_, body := c.get(signed("getRecordings", url.Values{"recordID": {r.RecordID}}))
	if ids, _ := recordIDs(t, body); len(ids) != 0 {
		t.Fatalf("the default tenant lists uni-a's recording: %s", body)
	}
	wantKey(t, c.call("deleteRecordings", url.Values{"recordID": {r.RecordID}}), bbb.Failed, "notFound")
	// uni-a lists it with its own meeting ID.
	q := bbb.Sign(bbb.SHA1, "getRecordings", url.Values{"meetingID": {"course"}}.Encode(), "uni-a-secret")
	_, body = c.get("/t/uni-a/bigbluebutton/api/getRecordings?" + q)
	if ids, _ := recordIDs(t, body); len(ids) != 1 || !strings.Contains(body, "<meetingID>course</meetingID>") || strings.Contains(body, "uni-a~") {
		t.Fatalf("uni-a's listing: %s", body)
	}
}

// TestStoredRecordingsPagedByPosition pages a tenant's whole list, filtered
// by state alone, over stored recordings in several states and live ones
// in between (one starting at the same time as a stored one): every page
// is the unpaged list's slice, and totalElements its length. Such pages
// are found in the index by position, not by a walk from the start.
func TestStoredRecordingsPagedByPosition(t *testing.T) {
	c, lib := storeCluster(t, 2)
	for i := 0; i < 12; i += 2 {
		pushFolder(t, lib, storedRec("course", i))
	}
	if _, err := lib.SetState(state.DefaultTenant, []string{storedRec("course", 2).RecordID}, "unpublished"); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.SetState(state.DefaultTenant, []string{storedRec("course", 6).RecordID}, "deleted"); err != nil {
		t.Fatal(err)
	}
	live := func(id string, start int64, st string) bbbfake.Recording {
		return bbbfake.Recording{RecordID: id, MeetingID: "course", Name: "Course", State: st, StartTime: start, EndTime: start + 60000}
	}
	for i := 1; i < 12; i += 4 {
		r := storedRec("course", i)
		c.fakes[i%2].AddRecording(live(r.RecordID, r.StartTime, "published"))
	}
	// Live at the very start, at a stored one's own start time, and after all.
	c.fakes[0].AddRecording(live(rectest.RecordID("first", 1_600_000_000_000), 1_600_000_000_000, "published"))
	tie := storedRec("course", 4).StartTime
	c.fakes[1].AddRecording(live(rectest.RecordID("tie", tie), tie, "published"))
	c.fakes[1].AddRecording(live(rectest.RecordID("last", 1_800_000_000_000), 1_800_000_000_000, "unpublished"))

	for _, st := range []string{"", "published", "unpublished,published", "any", "deleted"} {
		v := url.Values{}
		if st != "" {
			v.Set("state", st)
		}
		_, body := c.get(signed("getRecordings", v))
		all, _ := recordIDs(t, body)
		if st == "" && len(all) != 11 { // 6 stored less 1 deleted, 3 + 3 live
			t.Fatalf("state %q: %d listed, want 11: %v", st, len(all), all)
		}
		for _, limit := range []int{1, 2, 3, 5, 100} {
			for offset := 0; offset <= len(all)+1; offset++ {
				pv := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}}
				for k, vs := range v {
					pv[k] = vs
				}
				_, body := c.get(signed("getRecordings", pv))
				ids, r := recordIDs(t, body)
				want := all[min(offset, len(all)):min(offset+limit, len(all))]
				if strings.Join(ids, ",") != strings.Join(want, ",") || r.Get("totalElements") != strconv.Itoa(len(all)) {
					t.Fatalf("state %q offset %d limit %d: %v total %s\nwant %v total %d", st, offset, limit, ids, r.Get("totalElements"), want, len(all))
				}
			}
		}
	}
}
