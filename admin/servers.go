package admin

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/config"
	"github.com/tinyscale/tinyscale/pool"
)

// ServerInfo is a server as the API shows it: its status, and whether it
// takes new meetings now. It never holds the server's secret.
type ServerInfo struct {
	pool.Status
	// Available is true when the server takes new meetings now: enabled,
	// online and under its max_load.
	Available bool `json:"available"`
}

// ServerList is the answer of GET servers.
type ServerList struct {
	Servers []ServerInfo `json:"servers"`
	// Total counts the servers that match the filter (all of them
	// without one), of which Servers is the requested page.
	Total int `json:"total"`
}

// ServerAnswer is the answer of a change to one server.
type ServerAnswer struct {
	Server ServerInfo `json:"server"`
	// Warning says what went wrong but did not stop the change (a new
	// server that cannot be reached is added offline).
	Warning string `json:"warning,omitempty"`
}

// RemoveAnswer is the answer of DELETE servers/{id}.
type RemoveAnswer struct {
	Removed string `json:"removed"`
	// Placements counts the meetings still placed on the removed server:
	// calls for them answer notFound until they are created again.
	Placements int `json:"placements"`
}

func (a *API) info(s *pool.Server) ServerInfo {
	p := a.cfg.Fleet.Pool()
	avail := false
	for _, o := range p.Available() {
		avail = avail || o == s
	}
	return ServerInfo{Status: s.Status(p.Model, time.Now()), Available: avail}
}

// listServers answers GET servers, every server unless filtered and paged
// (see paging.go): ?q= matches the ID, host and tags; ?state=enabled,
// cordoned or disabled; ?health=online or offline; ?sort=id, load,
// meetings, participants, state or last_poll.
func (a *API) listServers(w http.ResponseWriter, r *http.Request) {
	pr, err := readPage(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	p := a.cfg.Fleet.Pool()
	now := time.Now()
	avail := map[*pool.Server]bool{}
	for _, s := range p.Available() {
		avail[s] = true
	}
	q := r.URL.Query()
	out := ServerList{Servers: []ServerInfo{}}
	for _, s := range p.All() {
		si := ServerInfo{Status: s.Status(p.Model, now), Available: avail[s]}
		if st := q.Get("state"); st != "" && string(si.Admin) != st {
			continue
		}
		if h := q.Get("health"); h != "" && (h == "online") != si.Online {
			continue
		}
		if !pr.matches(append([]string{si.ID, si.Host}, si.Tags...)...) {
			continue
		}
		out.Servers = append(out.Servers, si)
	}
	out.Total = len(out.Servers)
	out.Servers, err = sortPage(pr, out.Servers, serverKeys, func(a, b ServerInfo) int { return strings.Compare(a.ID, b.ID) })
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, out)
}

var serverKeys = map[string]func(a, b ServerInfo) int{
	"id":           func(a, b ServerInfo) int { return strings.Compare(a.ID, b.ID) },
	"load":         func(a, b ServerInfo) int { return cmp.Compare(a.Load, b.Load) },
	"meetings":     func(a, b ServerInfo) int { return cmp.Compare(a.Meetings, b.Meetings) },
	"participants": func(a, b ServerInfo) int { return cmp.Compare(a.Participants, b.Participants) },
	"state":        func(a, b ServerInfo) int { return strings.Compare(string(a.Admin), string(b.Admin)) },
	"last_poll":    func(a, b ServerInfo) int { return a.LastPoll.Compare(b.LastPoll) },
}

func (a *API) server(w http.ResponseWriter, r *http.Request) *pool.Server {
	id := r.PathValue("id")
	s := a.cfg.Fleet.Pool().Get(id)
	if s == nil {
		writeErr(w, notFound(id))
	}
	return s
}

func (a *API) getServer(w http.ResponseWriter, r *http.Request) {
	if s := a.server(w, r); s != nil {
		writeJSON(w, http.StatusOK, ServerAnswer{Server: a.info(s)})
	}
}

// maxAddBody bounds the body of POST servers: a server entry is small.
const maxAddBody = 64 << 10

func (a *API) addServer(w http.ResponseWriter, r *http.Request) {
	sc, err := decodeServer(io.LimitReader(r.Body, maxAddBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s, warning, err := a.cfg.Fleet.Add(r.Context(), sc)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, ServerAnswer{Server: a.info(s), Warning: warning})
}

// decodeServer reads a server entry and validates it by the rules of
// servers.json, so that a server added through the API is one that
// servers.json would accept.
func decodeServer(r io.Reader) (config.Server, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields() // a typo ("maxload") must not be silently dropped
	var sc config.Server
	if err := dec.Decode(&sc); err != nil {
		if errors.Is(err, io.EOF) {
			return sc, errors.New(`empty body: send {"host": "https://bbb.example.org/bigbluebutton/api", "secret": "..."}`)
		}
		return sc, fmt.Errorf(`body is not a server entry (%v); send {"host", "secret", and optionally "id", "algorithm", "weight", "tags", "max_load"}`, err)
	}
	entry, err := json.Marshal([]config.Server{sc})
	if err != nil {
		return sc, err
	}
	const name = "new server"
	list, err := config.ParseServers(name, entry)
	if err != nil {
		// ParseServers numbers the entries of a file; there is one here.
		return sc, errors.New(strings.Replace(err.Error(), name+": server 1", "invalid server", 1))
	}
	return list[0], nil
}

func (a *API) removeServer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := a.cfg.Fleet.Remove(id); err != nil {
		writeErr(w, err)
		return
	}
	n := 0
	for _, m := range a.cfg.Store.Meetings() {
		if m.ServerID == id {
			n++
		}
	}
	writeJSON(w, http.StatusOK, RemoveAnswer{Removed: id, Placements: n})
}

// setState returns the handler that sets a server's state to st.
func (a *API) setState(st pool.AdminState) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := a.cfg.Fleet.SetState(r.PathValue("id"), st)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, ServerAnswer{Server: a.info(s)})
	}
}
