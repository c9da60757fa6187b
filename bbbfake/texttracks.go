package bbbfake

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/tinyscale/tinyscale/bbb"
)

// TextTrack is a caption or subtitle file uploaded to a recording.
type TextTrack struct {
	Href   string `json:"href"`
	Kind   string `json:"kind"`
	Label  string `json:"label"`
	Lang   string `json:"lang"`
	Source string `json:"source"`
	// Data is the uploaded file.
	Data []byte `json:"-"`
}

// JSON answers of the text-track calls, fields in BBB's order.
type jsonReply struct {
	Response any `json:"response"`
}

type jsonStatus struct {
	MessageKey string `json:"messageKey"`
	Message    string `json:"message"`
	RecordID   string `json:"recordId,omitempty"`
	ReturnCode string `json:"returncode"`
}

type jsonTracks struct {
	ReturnCode string      `json:"returncode"`
	Tracks     []TextTrack `json:"tracks"`
}

func writeJSON(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(jsonReply{v})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func writeJSONError(w http.ResponseWriter, e *bbb.Error) {
	writeJSON(w, jsonStatus{MessageKey: e.Key, Message: e.Message, ReturnCode: bbb.Failed})
}

var (
	errTrackRecordID = &bbb.Error{Key: "paramError", Message: "Missing param recordID."}
	errTrackEmpty    = &bbb.Error{Key: "empty_uploaded_text_track", Message: "Empty uploaded text track."}
	errTrackLang     = &bbb.Error{Key: "invalidLang", Message: "Malformed lang param."}
)

func errNoRecording(id string) *bbb.Error {
	return &bbb.Error{Key: "noRecordings", Message: "No recording found for " + id}
}

// TextTracks returns the text tracks of a recording.
func (s *Server) TextTracks(recordID string) []TextTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.findRecording(recordID)
	if r == nil {
		return nil
	}
	out := slices.Clone(r.tracks)
	for i := range out {
		out[i].Data = slices.Clone(out[i].Data)
	}
	return out
}

func (c *apiCall) getRecordingTextTracks() {
	id := c.get("recordID")
	if id == "" {
		c.fail(errTrackRecordID)
		return
	}
	c.s.mu.Lock()
	r := c.s.findRecording(id)
	var tracks []TextTrack
	if r != nil {
		tracks = slices.Clone(r.tracks)
	}
	c.s.mu.Unlock()
	if r == nil {
		c.fail(errNoRecording(id))
		return
	}
	if tracks == nil {
		tracks = []TextTrack{}
	}
	writeJSON(c.w, jsonTracks{ReturnCode: bbb.Success, Tracks: tracks})
}

// putRecordingTextTrack stores the multipart field "file" as a track of
// the recording; recordID, kind, lang and label come from the query.
func (c *apiCall) putRecordingTextTrack() {
	id := c.get("recordID")
	kind := c.get("kind")
	lang := c.get("lang")
	if id == "" {
		c.fail(errTrackRecordID)
		return
	}
	if kind != "subtitles" && kind != "captions" {
		c.fail(&bbb.Error{Key: "invalidKind", Message: "Invalid kind parameter, expected='subtitles|captions' actual=" + kind})
		return
	}
	if lang == "" {
		c.fail(errTrackLang)
		return
	}
	data := c.files["file"]
	if len(data) == 0 {
		c.fail(errTrackEmpty)
		return
	}
	label := c.get("label")
	if label == "" {
		label = lang
	}
	c.s.mu.Lock()
	r := c.s.findRecording(id)
	if r != nil {
		t := TextTrack{
			Href: "http://" + c.s.addr + "/presentation/" + id + "/caption_" + lang + ".vtt",
			Kind: kind, Label: label, Lang: lang, Source: "upload", Data: slices.Clone(data),
		}
		r.tracks = slices.DeleteFunc(r.tracks, func(o TextTrack) bool { return o.Kind == kind && o.Lang == lang })
		r.tracks = append(r.tracks, t)
	}
	c.s.mu.Unlock()
	if r == nil {
		c.fail(errNoRecording(id))
		return
	}
	writeJSON(c.w, jsonStatus{
		MessageKey: "upload_text_track_success", Message: "Text track uploaded successfully",
		RecordID: id, ReturnCode: bbb.Success,
	})
}
