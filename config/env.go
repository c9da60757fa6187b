package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// Env is tinyscale's configuration from environment variables. The README
// lists every variable with its default.
type Env struct {
	Secret         string        // TINYSCALE_SECRET, required
	Listen         string        // TINYSCALE_LISTEN, else ":" + PORT
	ServersFile    string        // TINYSCALE_SERVERS
	Algorithms     bbb.Algorithm // TINYSCALE_CHECKSUM_ALGORITHMS
	ConnectTimeout time.Duration // TINYSCALE_CONNECT_TIMEOUT
	RequestTimeout time.Duration // TINYSCALE_REQUEST_TIMEOUT
	FanoutTimeout  time.Duration // TINYSCALE_FANOUT_TIMEOUT
	PollInterval   time.Duration // TINYSCALE_POLL_INTERVAL
	CreateTimeout  time.Duration // TINYSCALE_CREATE_TIMEOUT: a create's wait for its server
	StateTimeout   time.Duration // TINYSCALE_STATE_TIMEOUT: one write to the state store
	HeaderTimeout  time.Duration // TINYSCALE_HEADER_TIMEOUT: a client's request headers, and an idle keep-alive
	MaxBody        int64         // TINYSCALE_MAX_BODY
	BackendMemory  int64         // TINYSCALE_BACKEND_MEMORY: all backend answers read at once, together
	MaxSizeHint    int           // TINYSCALE_MAX_SIZE_HINT: cap of meta_bbb-meeting-size-hint
	LogFormat      string        // TINYSCALE_LOG_FORMAT: text or json
	LogLevel       string        // TINYSCALE_LOG_LEVEL: debug, info, warn, error
	// PprofListen, when set, serves Go's profiler (net/http/pprof) on this
	// address of its own (TINYSCALE_PPROF_LISTEN); off by default.
	PprofListen string

	Strategy     string        // TINYSCALE_STRATEGY: least-load or roundrobin
	OfflineAfter int           // TINYSCALE_OFFLINE_AFTER: failed polls in a row
	OnlineAfter  int           // TINYSCALE_ONLINE_AFTER: good polls in a row
	MeetingSize  int           // TINYSCALE_MEETING_SIZE: expected size without a hint
	MeetingRamp  time.Duration // TINYSCALE_MEETING_RAMP: how long a young meeting's expected size decays
	AdminToken   string        // TINYSCALE_ADMIN_TOKEN: the admin API is off without it
	// LogoutURL is the default logout URL (TINYSCALE_LOGOUT_URL): where a
	// failed join lands that names neither errorRedirectUrl nor logoutURL.
	// Empty: tinyscale's own root as the browser reached it.
	LogoutURL string
	// PublicURL is how BBB servers reach tinyscale (TINYSCALE_URL), for
	// callbacks; empty leaves callback parameters untouched.
	PublicURL string
	// RecordingsDir turns tinyscale's own recording store on
	// (TINYSCALE_RECORDINGS); PlayerDir is the bbb-playback build served
	// at /playback/presentation/2.3/ (TINYSCALE_PLAYER_DIR). See
	// docs/recordings.md.
	RecordingsDir string
	PlayerDir     string
	// CallbackDeny are the networks callbacks may not reach
	// (TINYSCALE_CALLBACK_DENY), besides link-local, which is always
	// denied.
	CallbackDeny []netip.Prefix
	// CallbackRetry is the wait before each delivery attempt
	// (TINYSCALE_CALLBACK_RETRY, default BBB's 0s,30s,1m,2m,5m).
	CallbackRetry []time.Duration

	// The failed-checksum limiter: TINYSCALE_CHECKSUM_FAILURES failures
	// within TINYSCALE_CHECKSUM_WINDOW block an address for
	// TINYSCALE_CHECKSUM_BLOCK (0 failures turns it off).
	ChecksumFailures int
	ChecksumWindow   time.Duration
	ChecksumBlock    time.Duration
	// TrustProxy takes client addresses from X-Forwarded-For
	// (TINYSCALE_TRUST_PROXY=true), for tinyscale behind a reverse proxy.
	TrustProxy bool

	// DataDir holds the embedded state file (TINYSCALE_DATA, default the
	// working directory); RedisURL, when set, shares the state through
	// Redis instead (TINYSCALE_REDIS_URL).
	DataDir  string
	RedisURL string

	// TenantsFile is tenants.json (TINYSCALE_TENANTS), by default beside
	// servers.json; a missing file means no named tenants.
	TenantsFile string
	// The global create and join policy, as query strings
	// (TINYSCALE_CREATE_DEFAULTS, TINYSCALE_CREATE_OVERRIDES,
	// TINYSCALE_JOIN_DEFAULTS, TINYSCALE_JOIN_OVERRIDES).
	CreateDefaults, CreateOverrides, JoinDefaults, JoinOverrides map[string]string
	// UsageRetention is how long usage records are kept
	// (TINYSCALE_USAGE_RETENTION, see env_usage.go).
	UsageRetention time.Duration
	// ShutdownTimeout bounds a graceful shutdown
	// (TINYSCALE_SHUTDOWN_TIMEOUT, see env_shutdown.go).
	ShutdownTimeout time.Duration
}

// Defaults for the optional variables.
const (
	DefaultPort           = "8000"
	DefaultServersFile    = "servers.json"
	DefaultConnectTimeout = 2 * time.Second
	DefaultRequestTimeout = 10 * time.Second
	DefaultFanoutTimeout  = 5 * time.Second
	DefaultPollInterval   = 10 * time.Second
	DefaultMaxBody        = 16 << 20
	DefaultCreateTimeout  = 5 * time.Second
	DefaultBackendMemory  = 128 << 20
	DefaultMaxSizeHint    = 500
	DefaultMeetingSize    = 15
	DefaultMeetingRamp    = 15 * time.Minute
)

// LoadEnv reads the environment through getenv (os.Getenv in main, a map in
// tests). requireSecret is false for commands that make their own secret.
func LoadEnv(getenv func(string) string, requireSecret bool) (*Env, error) {
	e := &Env{
		Secret:      getenv("TINYSCALE_SECRET"),
		ServersFile: or(getenv("TINYSCALE_SERVERS"), DefaultServersFile),
		LogFormat:   or(getenv("TINYSCALE_LOG_FORMAT"), "text"),
		LogLevel:    or(getenv("TINYSCALE_LOG_LEVEL"), "info"),
	}
	if requireSecret && strings.TrimSpace(e.Secret) == "" {
		return nil, errors.New("TINYSCALE_SECRET is not set: set it to the secret your integrations (Greenlight, Moodle, ...) will use for tinyscale, e.g. TINYSCALE_SECRET=$(openssl rand -hex 32)")
	}
	port := or(getenv("PORT"), DefaultPort)
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return nil, fmt.Errorf("PORT=%q is not a port number; use e.g. PORT=8000", port)
	}
	e.Listen = or(getenv("TINYSCALE_LISTEN"), ":"+port)

	algs := or(getenv("TINYSCALE_CHECKSUM_ALGORITHMS"), "sha1,sha256,sha384,sha512")
	a, err := bbb.ParseAlgorithms(algs)
	if err != nil {
		return nil, fmt.Errorf("TINYSCALE_CHECKSUM_ALGORITHMS: %v", err)
	}
	e.Algorithms = a

	for _, d := range []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"TINYSCALE_CONNECT_TIMEOUT", &e.ConnectTimeout, DefaultConnectTimeout},
		{"TINYSCALE_REQUEST_TIMEOUT", &e.RequestTimeout, DefaultRequestTimeout},
		{"TINYSCALE_FANOUT_TIMEOUT", &e.FanoutTimeout, DefaultFanoutTimeout},
		{"TINYSCALE_POLL_INTERVAL", &e.PollInterval, DefaultPollInterval},
		{"TINYSCALE_CREATE_TIMEOUT", &e.CreateTimeout, DefaultCreateTimeout},
		{"TINYSCALE_STATE_TIMEOUT", &e.StateTimeout, 3 * time.Second},
		{"TINYSCALE_MEETING_RAMP", &e.MeetingRamp, DefaultMeetingRamp},
		{"TINYSCALE_HEADER_TIMEOUT", &e.HeaderTimeout, 10 * time.Second},
		{"TINYSCALE_CHECKSUM_WINDOW", &e.ChecksumWindow, time.Minute},
		{"TINYSCALE_CHECKSUM_BLOCK", &e.ChecksumBlock, 5 * time.Minute},
	} {
		v := getenv(d.name)
		if v == "" {
			*d.dst = d.def
			continue
		}
		t, err := time.ParseDuration(v)
		if err != nil || t <= 0 {
			return nil, fmt.Errorf("%s=%q is not a positive Go duration; write e.g. %s=%s", d.name, v, d.name, d.def)
		}
		*d.dst = t
	}

	e.MaxBody = DefaultMaxBody
	if v := getenv("TINYSCALE_MAX_BODY"); v != "" {
		n, err := ParseSize(v)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("TINYSCALE_MAX_BODY=%q is not a size; write e.g. 16MiB or 2000000", v)
		}
		e.MaxBody = n
	}
	e.BackendMemory = DefaultBackendMemory
	if v := getenv("TINYSCALE_BACKEND_MEMORY"); v != "" {
		n, err := ParseSize(v)
		if err != nil || n < 1<<20 {
			return nil, fmt.Errorf("TINYSCALE_BACKEND_MEMORY=%q is not a size of at least 1MiB; write e.g. 128MiB", v)
		}
		e.BackendMemory = n
	}
	for _, n := range []struct {
		name string
		dst  *int
		def  int
	}{
		{"TINYSCALE_OFFLINE_AFTER", &e.OfflineAfter, 2},
		{"TINYSCALE_ONLINE_AFTER", &e.OnlineAfter, 2},
		{"TINYSCALE_MEETING_SIZE", &e.MeetingSize, DefaultMeetingSize},
		{"TINYSCALE_MAX_SIZE_HINT", &e.MaxSizeHint, DefaultMaxSizeHint},
	} {
		v := getenv(n.name)
		if v == "" {
			*n.dst = n.def
			continue
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 1 {
			return nil, fmt.Errorf("%s=%q is not a positive whole number; write e.g. %s=%d", n.name, v, n.name, n.def)
		}
		*n.dst = i
	}
	e.ChecksumFailures = 20
	if v := getenv("TINYSCALE_CHECKSUM_FAILURES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("TINYSCALE_CHECKSUM_FAILURES=%q is not a whole number; write e.g. 20, or 0 to turn the limiter off", v)
		}
		e.ChecksumFailures = n
	}
	switch v := getenv("TINYSCALE_TRUST_PROXY"); v {
	case "", "false", "0":
	case "true", "1":
		e.TrustProxy = true
	default:
		return nil, fmt.Errorf("TINYSCALE_TRUST_PROXY=%q: use true or false", v)
	}
	e.DataDir = or(getenv("TINYSCALE_DATA"), ".")
	e.RedisURL = getenv("TINYSCALE_REDIS_URL")
	e.TenantsFile = or(getenv("TINYSCALE_TENANTS"), filepath.Join(filepath.Dir(e.ServersFile), "tenants.json"))
	for _, p := range []struct {
		name string
		dst  *map[string]string
	}{
		{"TINYSCALE_CREATE_DEFAULTS", &e.CreateDefaults},
		{"TINYSCALE_CREATE_OVERRIDES", &e.CreateOverrides},
		{"TINYSCALE_JOIN_DEFAULTS", &e.JoinDefaults},
		{"TINYSCALE_JOIN_OVERRIDES", &e.JoinOverrides},
	} {
		v := getenv(p.name)
		if v == "" {
			continue
		}
		q, err := url.ParseQuery(v)
		if err != nil {
			return nil, fmt.Errorf("%s=%q is not a query string; write e.g. %s='muteOnStart=true&record=false'", p.name, v, p.name)
		}
		m := map[string]string{}
		for k, vs := range q {
			if k == "meetingID" || k == "checksum" {
				return nil, fmt.Errorf("%s: %q cannot be set by policy", p.name, k)
			}
			m[k] = vs[len(vs)-1]
		}
		*p.dst = m
	}
	e.Strategy = or(getenv("TINYSCALE_STRATEGY"), "least-load")
	switch e.Strategy {
	case "least-load", "roundrobin":
	default:
		return nil, fmt.Errorf("TINYSCALE_STRATEGY=%q: use least-load (the default) or roundrobin", e.Strategy)
	}
	e.AdminToken = getenv("TINYSCALE_ADMIN_TOKEN")
	e.PprofListen = getenv("TINYSCALE_PPROF_LISTEN")
	if err := e.loadUsage(getenv); err != nil {
		return nil, err
	}
	if v := getenv("TINYSCALE_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return nil, fmt.Errorf("TINYSCALE_URL=%q is not an http(s) URL; set it to the address BBB servers reach tinyscale at, e.g. TINYSCALE_URL=https://lb.example.org", v)
		}
		e.PublicURL = strings.TrimRight(u.String(), "/")
	}
	if v := getenv("TINYSCALE_LOGOUT_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("TINYSCALE_LOGOUT_URL=%q is not an http(s) URL; set it to where users land after a failed join, e.g. TINYSCALE_LOGOUT_URL=https://lms.example.org/", v)
		}
		e.LogoutURL = v
	}
	if err := e.loadRecordingsEnv(getenv); err != nil {
		return nil, err
	}
	if err := e.loadCallbackEnv(getenv); err != nil {
		return nil, err
	}
	switch e.LogFormat {
	case "text", "json":
	default:
		return nil, fmt.Errorf("TINYSCALE_LOG_FORMAT=%q: use text or json", e.LogFormat)
	}
	switch e.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("TINYSCALE_LOG_LEVEL=%q: use debug, info, warn or error", e.LogLevel)
	}
	return e, nil
}

// ParseSize reads a byte count: "2000000", "512KiB", "16MiB", "1GiB"
// (KB, MB and GB are taken as powers of 1000).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, errors.New("negative size")
	}
	if n > (1<<62)/mult {
		return 0, errors.New("too large")
	}
	return n * mult, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
