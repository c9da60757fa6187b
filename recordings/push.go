package recordings

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// PushPath is the upload endpoint under TINYSCALE_URL.
const PushPath = "/tinyscale/recordings/push"

// pushCall is the call name the push checksum is computed with, as BBB
// computes an API call's: sha256(call + query + secret).
const pushCall = "recordingsPush"

// pushSkew is how far a push's timestamp may be from tinyscale's clock:
// a signed push URL cannot be replayed later than that.
const pushSkew = 6 * time.Hour

// PushQuery builds the signed query of a push: the recording, its format,
// the exact size and SHA-256 of the tar stream that follows, and the time,
// signed with the BBB server's secret.
func PushQuery(recordID, format string, size int64, sum string, now time.Time, secret string) string {
	q := url.Values{
		"recordID": {recordID}, "format": {format},
		"size": {strconv.FormatInt(size, 10)}, "sha256": {sum},
		"ts": {strconv.FormatInt(now.Unix(), 10)},
	}.Encode()
	return bbb.Sign(bbb.SHA256, pushCall, q, secret)
}

// PushHandler is the upload endpoint: a BBB server's post_publish step (or
// `tinyscale recordings push`) POSTs one format folder as a tar stream.
type PushHandler struct {
	Library *Library
	// Secrets returns the configured servers' secrets by server ID: a push
	// signed with one of them is that server's.
	Secrets func() map[string]string
	Log     *slog.Logger
	Now     func() time.Time
}

// pushAnswer is the JSON a push is answered with.
type pushAnswer struct {
	Stored    bool   `json:"stored"`
	RecordID  string `json:"record_id,omitempty"`
	Format    string `json:"format,omitempty"`
	Tenant    string `json:"tenant,omitempty"`
	Unchanged bool   `json:"unchanged,omitempty"`
	Error     string `json:"error,omitempty"`
}

func answer(w http.ResponseWriter, status int, a pushAnswer) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(a)
}

func (h *PushHandler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// ServeHTTP takes one push. It answers 200 only once the files and the
// index entry are durable; 401 for a checksum no configured server's
// secret makes (nothing is read or stored); 400 for an upload that is
// not what it claims; 507 when the disk is full.
func (h *PushHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		answer(w, http.StatusMethodNotAllowed, pushAnswer{Error: "POST a tar stream of one recording folder"})
		return
	}
	query, cs := bbb.SplitChecksum(r.URL.RawQuery)
	origin := ""
	for id, secret := range h.Secrets() {
		if cs != "" && bbb.VerifySplit(pushCall, query, cs, bbb.SHA256, secret) == nil {
			origin = id
			break
		}
	}
	if origin == "" {
		h.log().Warn("recording push refused: checksum of no configured server", "remote", r.RemoteAddr)
		answer(w, http.StatusUnauthorized, pushAnswer{Error: "checksum does not match the secret of any server tinyscale knows"})
		return
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		answer(w, http.StatusBadRequest, pushAnswer{Error: "bad query"})
		return
	}
	recordID, format, sum := q.Get("recordID"), q.Get("format"), q.Get("sha256")
	size, err1 := strconv.ParseInt(q.Get("size"), 10, 64)
	ts, err2 := strconv.ParseInt(q.Get("ts"), 10, 64)
	if err1 != nil || err2 != nil || size <= 0 || len(sum) != 64 || !ValidRecordID(recordID) || !ValidFormat(format) {
		answer(w, http.StatusBadRequest, pushAnswer{Error: "recordID, format, size, sha256 and ts are required"})
		return
	}
	if d := h.now().Sub(time.Unix(ts, 0)); d > pushSkew || d < -pushSkew {
		answer(w, http.StatusUnauthorized, pushAnswer{Error: "the push is signed too far from tinyscale's time: check the clocks"})
		return
	}
	if r.ContentLength != size {
		answer(w, http.StatusBadRequest, pushAnswer{Error: "Content-Length must be the signed size"})
		return
	}
	extendDeadlines(w)
	body := &verified{r: io.LimitReader(r.Body, size), want: sum, size: size}
	body.init()
	// The upload must outlive a client that goes away only by failing:
	// the request context ends the copy if the connection drops.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	res, err := h.Library.Push(ctx, origin, recordID, format, body)
	switch {
	case err == nil:
		answer(w, http.StatusOK, pushAnswer{Stored: true, RecordID: recordID, Format: format, Tenant: res.Tenant, Unchanged: res.Unchanged})
	case errors.Is(err, ErrNoSpace):
		h.log().Error("recording push failed: disk full", "record_id", recordID, "format", format, "error", err)
		answer(w, http.StatusInsufficientStorage, pushAnswer{Error: "tinyscale's recording store is full; nothing was stored"})
	case errors.Is(err, ErrBadUpload):
		h.log().Warn("recording push refused", "record_id", recordID, "format", format, "origin", origin, "error", err)
		answer(w, http.StatusBadRequest, pushAnswer{Error: strings.TrimPrefix(err.Error(), "recordings: ")})
	default:
		h.log().Error("recording push failed", "record_id", recordID, "format", format, "error", err)
		answer(w, http.StatusServiceUnavailable, pushAnswer{Error: "the recording could not be stored; push it again"})
	}
}

func (h *PushHandler) log() *slog.Logger {
	if h.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Log
}

// uploadTime bounds one upload or one playback response: far beyond the
// server's ordinary write timeout, which is sized for API calls.
const uploadTime = 6 * time.Hour

// extendDeadlines lifts the server's read and write timeouts for a long
// upload or download (a 2 GB recording over a slow link).
func extendDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(uploadTime)
	rc.SetReadDeadline(deadline)
	rc.SetWriteDeadline(deadline)
}
