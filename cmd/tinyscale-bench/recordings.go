package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/recordings"
	"github.com/tinyscale/tinyscale/recordings/rectest"
	"github.com/tinyscale/tinyscale/state"
)

// recSizes are the recordings scenario's sizes for a plan (kept here, not
// in plan, so that the scenario stays in its own file).
type recSizes struct {
	uploadMB   int64 // the recording pushed
	stored     int   // recordings in the index
	queries    int   // of each kind
	playFileMB int64 // the file downloaded for throughput
	playRounds int   // alternating rounds, each playWorkers downloads at once
}

const playWorkers = 4

func recPlan(p plan) recSizes {
	switch p.name {
	case "full":
		return recSizes{uploadMB: 200, stored: 100_000, queries: 300, playFileMB: 64, playRounds: 6}
	case "quick":
		return recSizes{uploadMB: 50, stored: 100_000, queries: 100, playFileMB: 32, playRounds: 4}
	}
	return recSizes{uploadMB: 4, stored: 2000, queries: 10, playFileMB: 2, playRounds: 2}
}

// Targets of the recordings issue.
const (
	recRSSTarget  = 32.0 // MB the upload may raise RSS by
	recMeetingMS  = 5.0  // getRecordings?meetingID= p99
	recPageMS     = 20.0 // a page of 100, p99
	recPlayTarget = 0.5  // playback throughput at least this share of a plain file server
)

// runRecordings measures the recording store: the RSS an upload costs
// (it streams), getRecordings from a large index, and playback throughput
// beside a plain http.FileServer serving the same file.
func runRecordings(ctx context.Context, e *benchEnv) ([]result, error) {
	sz := recPlan(e.plan)
	work, err := os.MkdirTemp("", "tinyscale-bench-rec-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	dataDir, storeDir := filepath.Join(work, "data"), filepath.Join(work, "store")
	os.MkdirAll(dataDir, 0o755)
	e.logf("indexing %d recordings", sz.stored)
	t0 := time.Now()
	if err := seedIndex(filepath.Join(dataDir, "tinyscale.db"), sz.stored); err != nil {
		return nil, err
	}
	e.logf("indexed in %v", time.Since(t0).Round(time.Millisecond))
	f := startFleet(2)
	defer f.close()
	// TINYSCALE_URL only names the playback URLs in the answers here.
	ts, err := startTinyscale(ctx, e.bin, f, "TINYSCALE_URL=https://lb.example.org", "TINYSCALE_RECORDINGS="+storeDir, "TINYSCALE_DATA="+dataDir)
	if err != nil {
		return nil, err
	}
	defer ts.stop()
	root := "http://" + ts.addr

	// Upload.
	rec := rectest.Recording{RecordID: rectest.RecordID("bench-upload", 1_700_000_000_000), MeetingID: "bench-upload", Name: "Upload",
		Format: "video", StartTime: 1_700_000_000_000, MediaSize: sz.uploadMB << 20}
	folder, err := rec.Write(filepath.Join(work, "published"))
	if err != nil {
		return nil, err
	}
	fo, err := recordings.ReadFolder(folder)
	if err != nil {
		return nil, err
	}
	// The index is loaded at startup: what the upload adds is measured
	// from here, by the peak RSS (reset first; /proc/<pid>/clear_refs)
	// and by sampling during the upload, whichever is higher.
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", ts.pid()), []byte("5"), 0)
	before, err := readMemory(ts.pid())
	if err != nil {
		return nil, err
	}
	e.logf("pushing a %d MB recording", sz.uploadMB)
	sampled := before.RSS
	stopSampling := make(chan struct{})
	sampling := make(chan struct{})
	go func() {
		defer close(sampling)
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if m, err := readMemory(ts.pid()); err == nil {
				sampled = max(sampled, m.RSS)
			}
		}
	}()
	start := time.Now()
	p := &recordings.Pusher{URL: root, Secret: f[0].Secret(), Deadline: 5 * time.Minute}
	err = p.Push(ctx, fo)
	upload := time.Since(start)
	close(stopSampling)
	<-sampling
	if err != nil {
		return nil, err
	}
	after, err := readMemory(ts.pid())
	if err != nil {
		return nil, err
	}
	peak := max(sampled, after.Peak)
	rise := mb(peak - before.RSS)
	rows := []result{{
		Scenario: fmt.Sprintf("recording upload, %d MB", sz.uploadMB),
		Measured: fmt.Sprintf("RSS +%.1f MB", rise),
		Target:   fmt.Sprintf("< +%.0f MB", recRSSTarget),
		Ratio:    rise / recRSSTarget,
		Verdict:  verdict(rise < recRSSTarget, 0),
		Figures:  map[string]float64{"rss_rise_mb": rise, "upload_mb": float64(sz.uploadMB), "upload_s": upload.Seconds()},
		Note: fmt.Sprintf("peak RSS %.1f MB from %.1f MB before (%.1f MB anonymous, %.1f MB file-backed, with %d recordings indexed); %.0f MB/s, fsync'd before the answer",
			mb(peak), mb(before.RSS), mb(before.Anon), mb(before.File), sz.stored, float64(sz.uploadMB)/upload.Seconds()),
	}}

	// getRecordings from the index.
	api := root + "/bigbluebutton/api/getRecordings"
	hc := &http.Client{Timeout: 30 * time.Second}
	call := func(v url.Values) (time.Duration, int, error) {
		u := api + "?" + bbb.Sign(bbb.SHA1, "getRecordings", v.Encode(), benchSecret)
		t0 := time.Now()
		res, err := hc.Get(u)
		if err != nil {
			return 0, 0, err
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		d := time.Since(t0)
		r, err := bbb.ParseReply(body, &bbb.ListSpec{List: "recordings", Item: "recording", Fields: []string{"recordID"}})
		if err != nil || !r.OK() {
			return d, 0, fmt.Errorf("getRecordings: %v %.200s", err, body)
		}
		return d, len(r.Items), nil
	}
	call(url.Values{"meetingID": {"warm-up"}})
	meetings := max(sz.stored/10, 1)
	var byMeeting, byPage []time.Duration
	errs := 0
	for range sz.queries {
		d, n, err := call(url.Values{"meetingID": {fmt.Sprintf("m-%d", rand.IntN(meetings))}})
		if err != nil || n == 0 {
			errs++
		}
		byMeeting = append(byMeeting, d)
		d, n, err = call(url.Values{"offset": {fmt.Sprint(rand.IntN(max(sz.stored-100, 1)))}, "limit": {"100"}}) // anywhere in the list
		if err != nil || n != 100 {
			errs++
		}
		byPage = append(byPage, d)
	}
	mp99, pp99 := quantile(byMeeting, 0.99), quantile(byPage, 0.99)
	rows = append(rows,
		result{
			Scenario: fmt.Sprintf("getRecordings meetingID, %d stored", sz.stored),
			Measured: "p99 " + fmtDur(mp99), Target: fmt.Sprintf("< %.0fms", recMeetingMS),
			Ratio: ms(mp99) / recMeetingMS, Verdict: verdict(ms(mp99) < recMeetingMS, errs), Errors: errs,
			Figures: map[string]float64{"p50_ms": ms(quantile(byMeeting, 0.5)), "p99_ms": ms(mp99), "stored": float64(sz.stored)},
			Note: fmt.Sprintf("p50 %s, p90 %s over %d calls, 10 recordings a meeting, 2 live servers asked too",
				fmtDur(quantile(byMeeting, 0.5)), fmtDur(quantile(byMeeting, 0.9)), len(byMeeting)),
		},
		result{
			Scenario: fmt.Sprintf("getRecordings page of 100, %d stored", sz.stored),
			Measured: "p99 " + fmtDur(pp99), Target: fmt.Sprintf("< %.0fms", recPageMS),
			Ratio: ms(pp99) / recPageMS, Verdict: verdict(ms(pp99) < recPageMS, errs), Errors: errs,
			Figures: map[string]float64{"p50_ms": ms(quantile(byPage, 0.5)), "p99_ms": ms(pp99)},
			Note: fmt.Sprintf("p50 %s, p90 %s over %d pages (limit=100 at random offsets over the whole list, totalElements counted)",
				fmtDur(quantile(byPage, 0.5)), fmtDur(quantile(byPage, 0.9)), len(byPage)),
		})

	// Playback throughput beside a plain file server on the same file.
	playRec := rectest.Recording{RecordID: rectest.RecordID("bench-play", 1_700_000_001_000), MeetingID: "bench-play", Name: "Play",
		Format: "video", StartTime: 1_700_000_001_000, MediaSize: sz.playFileMB << 20}
	playDir, err := playRec.Write(filepath.Join(work, "published"))
	if err != nil {
		return nil, err
	}
	pf, _ := recordings.ReadFolder(playDir)
	if err := p.Push(ctx, pf); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	plainAddr := ln.Addr().String()
	plain := &http.Server{Handler: http.FileServer(http.Dir(playDir))}
	go plain.Serve(ln)
	defer plain.Close()
	tsURL := root + "/video/" + playRec.RecordID + "/video-0.m4v"
	plainURL := "http://" + plainAddr + "/video-0.m4v"
	var tsRate, plainRate []float64
	for range sz.playRounds {
		for _, side := range []struct {
			u   string
			out *[]float64
		}{{plainURL, &plainRate}, {tsURL, &tsRate}} {
			r, err := download(ctx, side.u, playWorkers, sz.playFileMB<<20)
			if err != nil {
				return nil, err
			}
			*side.out = append(*side.out, r)
		}
	}
	tsMed, plainMed := median(tsRate), median(plainRate)
	share := tsMed / plainMed
	rows = append(rows, result{
		Scenario: fmt.Sprintf("playback, %d MB file, %d at once", sz.playFileMB, playWorkers),
		Measured: fmt.Sprintf("%.0f MB/s (%.0f%% of a file server)", tsMed, 100*share),
		Target:   fmt.Sprintf("≥ %.0f%% of http.FileServer", 100*recPlayTarget),
		Ratio:    share, Verdict: verdict(share >= recPlayTarget, 0),
		Figures: map[string]float64{"tinyscale_mb_s": tsMed, "fileserver_mb_s": plainMed, "share": share},
		Note: fmt.Sprintf("medians of %d alternating rounds; the plain http.FileServer runs in the benchmark process, tinyscale in its own",
			sz.playRounds),
	})
	return rows, nil
}

// seedIndex writes n stored recordings (10 a meeting) into a new bolt
// file, as pushes would have: the index is what getRecordings reads.
func seedIndex(path string, n int) error {
	b, err := state.OpenBolt(path)
	if err != nil {
		return err
	}
	defer b.Close()
	data, _ := json.Marshal(map[string]any{"name": "Course", "internal_meeting_id": "x", "participants": 3,
		"formats": []map[string]any{{"type": "presentation", "version": "0", "link": "/playback/presentation/2.3/x", "duration": 3600000, "size": 1 << 20}}})
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range 256 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				start := int64(1_600_000_000_000 + i*60_000)
				err := b.PutStoredRecording(state.StoredRecording{
					RecordID: rectest.RecordID(fmt.Sprint("seed-", i), start), Tenant: state.DefaultTenant,
					MeetingID: fmt.Sprintf("m-%d", i%max(n/10, 1)), State: "published", StartTime: start,
					Meta: map[string]string{"gl-listed": "true"}, Data: data, Updated: time.Now()})
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return firstErr
}

// download fetches u with workers clients at once and returns the
// throughput in MB/s.
func download(ctx context.Context, u string, workers int, size int64) (float64, error) {
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer res.Body.Close()
			n, err := io.Copy(io.Discard, res.Body)
			if err == nil && (res.StatusCode != 200 || n != size) {
				err = fmt.Errorf("GET %s: %d, %d bytes of %d", u, res.StatusCode, n, size)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(int64(workers)*size) / (1 << 20) / time.Since(start).Seconds(), nil
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
