package recordings

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// AdminPrefix is where the admin API (package admin, which checks the
// admin token) mounts AdminHandler.
const AdminPrefix = "/admin/api/v1/recordings"

// AdminHandler is the operators' view of the store, mounted in the admin
// API:
//
//	GET    recordings[?tenant=&meetingID=&state=&limit=]   list (newest last)
//	GET    recordings/{recordID}                          one, with its formats
//	DELETE recordings/{recordID}                          delete for good: index entry and files
//	POST   recordings/import?recordID=&format=&size=&sha256=   a tar stream, as a push (tinyscale recordings import)
type AdminHandler struct {
	Library *Library
}

// AdminRecording is a recording as the admin API shows it.
type AdminRecording struct {
	RecordID  string            `json:"record_id"`
	Tenant    string            `json:"tenant"`
	MeetingID string            `json:"meeting_id"`
	Name      string            `json:"name"`
	State     string            `json:"state"`
	StartTime int64             `json:"start_time"`
	EndTime   int64             `json:"end_time"`
	Formats   []string          `json:"formats"`
	Origin    string            `json:"origin,omitempty"`
	Size      int64             `json:"size"`
	Meta      map[string]string `json:"meta,omitempty"`
	URLs      []string          `json:"urls,omitempty"`
}

func (l *Library) admin(r *Recording) AdminRecording {
	a := AdminRecording{RecordID: r.RecordID, Tenant: r.Tenant, MeetingID: r.MeetingID, Name: r.data.Name, State: r.State,
		StartTime: r.StartTime, EndTime: r.data.EndTime, Formats: r.Formats(), Origin: r.data.Origin, Meta: r.Meta}
	for _, f := range r.data.Formats {
		a.Size += f.Size
		a.URLs = append(a.URLs, l.BaseURL(r.Tenant)+f.Link)
	}
	return a
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// ServeHTTP implements http.Handler.
func (h *AdminHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, AdminPrefix), "/")
	switch {
	case rest == "" && r.Method == http.MethodGet:
		h.list(w, r)
	case rest == "import" && r.Method == http.MethodPost:
		h.importFolder(w, r)
	case rest != "" && !strings.Contains(rest, "/") && r.Method == http.MethodGet:
		rec, ok := h.Library.Lookup(rest)
		if !ok {
			adminError(w, http.StatusNotFound, "no stored recording "+rest)
			return
		}
		writeJSON(w, http.StatusOK, h.Library.admin(rec))
	case rest != "" && !strings.Contains(rest, "/") && r.Method == http.MethodDelete:
		if err := h.Library.Remove(rest); errors.Is(err, ErrNotFound) {
			adminError(w, http.StatusNotFound, "no stored recording "+rest)
			return
		} else if err != nil {
			adminError(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"deleted": true, "record_id": rest})
	default:
		adminError(w, http.StatusNotFound, "unknown recordings endpoint or method")
	}
}

func (h *AdminHandler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tenants := []string{q.Get("tenant")}
	if tenants[0] == "" {
		tenants = []string{"default"}
		if h.Library.Tenants != nil {
			for _, t := range h.Library.Tenants.All() {
				tenants = append(tenants, t.Name)
			}
		}
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	states := []string{"any"}
	if s := q.Get("state"); s != "" {
		states = strings.Split(s, ",")
	}
	out := []AdminRecording{}
	for _, t := range tenants {
		query := Query{Tenant: t, States: states}
		if m := q.Get("meetingID"); m != "" {
			query.MeetingIDs = []string{m}
		}
		for _, m := range h.Library.Find(query) {
			if rec, ok := decode(*m.entry); ok {
				out = append(out, h.Library.admin(rec))
			}
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	writeJSON(w, http.StatusOK, out)
}

// importFolder stores a folder sent by `tinyscale recordings import`: the
// same checks as a push but for the secret (the admin token was checked).
func (h *AdminHandler) importFolder(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	recordID, format, sum := q.Get("recordID"), q.Get("format"), q.Get("sha256")
	size, err := strconv.ParseInt(q.Get("size"), 10, 64)
	if err != nil || size <= 0 || len(sum) != 64 || r.ContentLength != size {
		adminError(w, http.StatusBadRequest, "recordID, format, size (the Content-Length) and sha256 are required")
		return
	}
	extendDeadlines(w)
	body := &verified{r: http.MaxBytesReader(w, r.Body, size), want: sum, size: size}
	body.init()
	res, err := h.Library.Push(r.Context(), "import", recordID, format, body)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, pushAnswer{Stored: true, RecordID: recordID, Format: format, Tenant: res.Tenant, Unchanged: res.Unchanged})
	case errors.Is(err, ErrNoSpace):
		writeJSON(w, http.StatusInsufficientStorage, pushAnswer{Error: "tinyscale's recording store is full; nothing was stored"})
	case errors.Is(err, ErrBadUpload):
		writeJSON(w, http.StatusBadRequest, pushAnswer{Error: strings.TrimPrefix(err.Error(), "recordings: ")})
	default:
		writeJSON(w, http.StatusServiceUnavailable, pushAnswer{Error: "the recording could not be stored: " + err.Error()})
	}
}
