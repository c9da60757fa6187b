package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/recordings"
)

// Text tracks of recordings in tinyscale's store: getRecordingTextTracks
// and putRecordingTextTrack answer from the stored copy, as its BBB server
// would (JSON, shared/bbb-api.md §4.9), so they work when that server is
// gone. Recordings not stored go to the servers as before.

// storedTextTracksCall answers a text-track call for a recording the
// caller's tenant has in the store; it reports false when the recording
// is not stored for the tenant (the servers are asked).
func (g *Gateway) storedTextTracksCall(w http.ResponseWriter, c *call, ids []string) bool {
	lib := g.cfg.Recordings
	if len(ids) != 1 {
		return false
	}
	id := ids[0]
	if _, ok := lib.Get(c.tenant.Name, id); !ok {
		return false
	}
	if c.name == bbb.CallGetRecordingTextTracks {
		tracks, err := lib.TextTracks(c.tenant.Name, id)
		if err != nil {
			c.fail(w, &bbb.Error{Key: "noRecordings", Message: "No recording found for " + id})
			return true
		}
		c.result = bbb.Success
		writeJSONReply(w, struct {
			ReturnCode string                 `json:"returncode"`
			Tracks     []recordings.TextTrack `json:"tracks"`
		}{bbb.Success, tracks})
		return true
	}
	kind, lang := c.param("kind"), c.param("lang")
	if !recordings.ValidTrackKind(kind) {
		c.fail(w, &bbb.Error{Key: "invalidKind", Message: "Invalid kind parameter, expected='subtitles|captions' actual=" + kind})
		return true
	}
	if !recordings.ValidTrackLang(lang) {
		c.fail(w, &bbb.Error{Key: "invalidLang", Message: "Malformed lang param."})
		return true
	}
	vtt, err := uploadedFile(c.body, c.contentType, "file")
	if err != nil || len(vtt) == 0 {
		c.fail(w, &bbb.Error{Key: "empty_uploaded_text_track", Message: "Empty uploaded text track."})
		return true
	}
	switch err := lib.PutTextTrack(c.r.Context(), c.tenant.Name, id, kind, lang, c.param("label"), vtt); {
	case errors.Is(err, recordings.ErrNotFound):
		c.fail(w, &bbb.Error{Key: "noRecordings", Message: "No recording found for " + id})
		return true
	case errors.Is(err, recordings.ErrNoSpace):
		g.log.Error("recording store: text track not stored", "record_id", id, "error", err)
		c.fail(w, &bbb.Error{Key: "invalidTextTrack", Message: "The text track could not be stored: no space left."})
		return true
	case err != nil:
		g.log.Error("recording store: text track not stored", "record_id", id, "error", err)
		c.fail(w, bbb.ErrStateUnavailable)
		return true
	}
	c.result = bbb.Success
	writeJSONReply(w, struct {
		MessageKey string `json:"messageKey"`
		Message    string `json:"message"`
		RecordID   string `json:"recordId"`
		ReturnCode string `json:"returncode"`
	}{"upload_text_track_success", "Text track uploaded successfully", id, bbb.Success})
	return true
}

func writeJSONReply(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(map[string]any{"response": v})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// uploadedFile returns the multipart field name of body (already bounded
// by the gateway's body limit); nothing when there is none.
func uploadedFile(body []byte, contentType, name string) ([]byte, error) {
	ct, params, err := mime.ParseMediaType(contentType)
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		return nil, errors.New("not a multipart upload")
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, err
		}
		if part.FormName() == name {
			defer part.Close()
			return io.ReadAll(part)
		}
		part.Close()
	}
}
