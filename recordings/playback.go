package recordings

import (
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/tenant"
)

// PlaybackHandler serves stored recordings as a BBB server's nginx does:
//
//	/<format>/<recordID>/<path>            a file of a published format folder
//	/playback/<format>/<recordID>/<path>   the same (video and other formats' own pages; index.html for a folder)
//	/playback/presentation/2.3/<anything>  the presentation player (bbb-playback), from PlayerDir
//
// Files are served byte for byte with Range requests, conditional
// requests and the Content-Type of their extension (http.ServeContent).
// An unpublished or deleted recording's files answer 404, and nothing
// outside a recording's folder can be reached.
type PlaybackHandler struct {
	Library *Library
	// PlayerDir is the bbb-playback build (its index.html and static/);
	// empty: the player is not served.
	PlayerDir string
	// Tenants resolves a request's host to its tenant: a tenant's
	// recordings are played only through a host of its own when it has
	// hosts, and never through another tenant's host.
	Tenants *tenant.Registry
}

// playerPath is where BBB 2.3+ serves the presentation player.
const playerPath = "/playback/presentation/2.3/"

// ServeHTTP implements http.Handler.
func (h *PlaybackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if strings.HasPrefix(p, playerPath) || p == strings.TrimSuffix(playerPath, "/") {
		h.player(w, r)
		return
	}
	rest := strings.TrimPrefix(p, "/")
	rest = strings.TrimPrefix(rest, "playback/")
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 || !ValidFormat(parts[0]) || !ValidRecordID(parts[1]) {
		http.NotFound(w, r)
		return
	}
	format, recordID, name := parts[0], parts[1], ""
	if len(parts) == 3 {
		name = parts[2]
	}
	if name == "" || strings.HasSuffix(name, "/") {
		if len(parts) == 2 && !strings.HasSuffix(p, "/") {
			// /playback/video/<id> → /playback/video/<id>/, as nginx does.
			http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
			return
		}
		name += "index.html"
	}
	rec, ok := h.Library.Lookup(recordID)
	if !ok || rec.State != "published" || !h.hostAllows(r.Host, rec.Tenant) {
		http.NotFound(w, r)
		return
	}
	var version string
	if i := rec.data.format(format); i >= 0 {
		version = rec.data.Formats[i].Version
	} else if format == CaptionsFormat && rec.data.CaptionsVersion != "" {
		version = rec.data.CaptionsVersion // the uploaded text tracks
	} else {
		http.NotFound(w, r)
		return
	}
	f, err := h.Library.Store.Open(Key{rec.Tenant, recordID, format, version}, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		http.NotFound(w, r)
		return
	}
	serveFile(w, r, path.Base(name), info.ModTime(), f)
}

// contentTypes are nginx's types (its mime.types, which BBB servers use)
// for the files BBB's recording formats publish that Go's table lacks or
// names otherwise; anything else goes by Go's table, then by sniffing.
var contentTypes = map[string]string{
	".m4v": "video/x-m4v", ".mp4": "video/mp4", ".webm": "video/webm", ".ogg": "audio/ogg",
	".opus": "audio/ogg", ".mp3": "audio/mpeg", ".vtt": "text/vtt", ".srt": "text/plain",
	".xml": "text/xml", ".svg": "image/svg+xml", ".json": "application/json",
}

func serveFile(w http.ResponseWriter, r *http.Request, name string, mod time.Time, f io.ReadSeeker) {
	extendDeadlines(w)
	if ct, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		w.Header().Set("Content-Type", ct)
	}
	http.ServeContent(w, r, name, mod, f)
}

// hostAllows says whether a recording of tenant owner may be played
// through host: through the owner's own hosts; through a host of no
// tenant when the owner has none (tenants on /t/<name> paths: the player
// fetches absolute paths); never through another tenant's host.
func (h *PlaybackHandler) hostAllows(host, owner string) bool {
	if h.Tenants == nil {
		return true
	}
	t, _ := h.Tenants.Resolve(host, "/")
	if t == nil {
		return false
	}
	if t.Name == owner {
		return true
	}
	if t != h.Tenants.Default() {
		return false
	}
	o := h.Tenants.Get(owner)
	return o != nil && len(o.Hosts) == 0
}

// player serves the bbb-playback build: its files, and index.html for
// every other path below 2.3/ (the player routes by URL), as BBB's
// "try_files $uri /playback/presentation/2.3/index.html".
func (h *PlaybackHandler) player(w http.ResponseWriter, r *http.Request) {
	if h.PlayerDir == "" {
		http.Error(w, "the presentation player is not installed on tinyscale: set TINYSCALE_PLAYER_DIR (docs/recordings.md)", http.StatusNotFound)
		return
	}
	root, err := os.OpenRoot(h.PlayerDir)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer root.Close()
	name := strings.TrimPrefix(r.URL.Path, playerPath)
	if c, ok := cleanName(name); ok && c != "" && c != "." {
		if f, err := root.Open(filepath.FromSlash(c)); err == nil {
			defer f.Close()
			if info, err := f.Stat(); err == nil && !info.IsDir() {
				serveFile(w, r, path.Base(c), info.ModTime(), f)
				return
			}
		}
	}
	f, err := root.Open("index.html")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		http.NotFound(w, r)
		return
	}
	serveFile(w, r, "index.html", info.ModTime(), f)
}

// BaseURL is the public URL a tenant's playback URLs start with: its first
// host (with TINYSCALE_URL's scheme) when it has hosts, else TINYSCALE_URL.
func (l *Library) BaseURL(tenantName string) string {
	if l.Tenants != nil {
		if t := l.Tenants.Get(tenantName); t != nil && t != l.Tenants.Default() && len(t.Hosts) > 0 {
			scheme, _, _ := strings.Cut(l.PublicURL, "://")
			return scheme + "://" + t.Hosts[0]
		}
	}
	return l.PublicURL
}

// IsPlaybackPath reports whether p is a path the PlaybackHandler answers:
// the player, /playback/<format>/..., or /<format>/<recordID>/... with a
// record ID as BBB makes them (or any valid one under /playback/).
func IsPlaybackPath(p string) bool {
	if strings.HasPrefix(p, "/playback/") {
		return true
	}
	parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 3)
	return len(parts) >= 2 && ValidFormat(parts[0]) && ValidRecordID(parts[1]) && strings.Contains(parts[1], "-") &&
		parts[0] != "bigbluebutton" && parts[0] != "admin" && parts[0] != "t" && parts[0] != "tinyscale"
}
