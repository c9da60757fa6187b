package config

import (
	"strings"
	"testing"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// envOf returns a getenv reading from m, as os.Getenv would from the
// process environment.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestLoadEnvDefaults checks the defaults the README promises when only
// the secret is set.
func TestLoadEnvDefaults(t *testing.T) {
	e, err := LoadEnv(envOf(map[string]string{"TINYSCALE_SECRET": "s3cret"}), true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"Secret", e.Secret, "s3cret"},
		{"Listen", e.Listen, ":8000"},
		{"ServersFile", e.ServersFile, "servers.json"},
		{"Algorithms", e.Algorithms, bbb.AllAlgorithms},
		{"ConnectTimeout", e.ConnectTimeout, 2 * time.Second},
		{"RequestTimeout", e.RequestTimeout, 10 * time.Second},
		{"FanoutTimeout", e.FanoutTimeout, 5 * time.Second},
		{"PollInterval", e.PollInterval, 10 * time.Second},
		{"MaxBody", e.MaxBody, int64(16 << 20)},
		{"LogFormat", e.LogFormat, "text"},
		{"LogLevel", e.LogLevel, "info"},
		{"Strategy", e.Strategy, "least-load"},
		{"OfflineAfter", e.OfflineAfter, 2},
		{"OnlineAfter", e.OnlineAfter, 2},
		{"MeetingSize", e.MeetingSize, 15},
		{"MeetingRamp", e.MeetingRamp, 15 * time.Minute},
		{"AdminToken", e.AdminToken, ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("default %s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestLoadEnvSecret checks that serve refuses to run without a client
// secret (an empty one would let anybody use the servers) and that demo,
// which makes its own, does not need one.
func TestLoadEnvSecret(t *testing.T) {
	tests := []struct {
		name    string
		secret  string
		set     bool
		require bool
		wantErr bool
	}{
		{"unset, required", "", false, true, true},
		{"empty, required", "", true, true, true},
		{"blank, required", " \t ", true, true, true},
		{"set, required", "abc", true, true, false},
		{"unset, not required", "", false, false, false},
		{"set, not required", "abc", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			if tt.set {
				m["TINYSCALE_SECRET"] = tt.secret
			}
			e, err := LoadEnv(envOf(m), tt.require)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("accepted secret %q: %+v", tt.secret, e)
				}
				for _, w := range []string{"TINYSCALE_SECRET", "not set", "openssl rand"} {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Secret != tt.secret {
				t.Errorf("Secret = %q, want %q", e.Secret, tt.secret)
			}
		})
	}
}

// TestLoadEnvValues checks that each variable is read.
func TestLoadEnvValues(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(*Env) bool
	}{
		{"PORT", map[string]string{"PORT": "9090"},
			func(e *Env) bool { return e.Listen == ":9090" }},
		{"PORT 0", map[string]string{"PORT": "0"},
			func(e *Env) bool { return e.Listen == ":0" }},
		{"TINYSCALE_LISTEN wins over PORT", map[string]string{"PORT": "9090", "TINYSCALE_LISTEN": "127.0.0.1:7000"},
			func(e *Env) bool { return e.Listen == "127.0.0.1:7000" }},
		{"TINYSCALE_SERVERS", map[string]string{"TINYSCALE_SERVERS": "/etc/tinyscale/servers.json"},
			func(e *Env) bool { return e.ServersFile == "/etc/tinyscale/servers.json" }},
		{"algorithms subset", map[string]string{"TINYSCALE_CHECKSUM_ALGORITHMS": "sha256,sha512"},
			func(e *Env) bool { return e.Algorithms == bbb.SHA256|bbb.SHA512 }},
		{"algorithms with spaces and case", map[string]string{"TINYSCALE_CHECKSUM_ALGORITHMS": " SHA1 , sha-256 "},
			func(e *Env) bool { return e.Algorithms == bbb.SHA1|bbb.SHA256 }},
		{"connect timeout", map[string]string{"TINYSCALE_CONNECT_TIMEOUT": "500ms"},
			func(e *Env) bool { return e.ConnectTimeout == 500*time.Millisecond }},
		{"request timeout", map[string]string{"TINYSCALE_REQUEST_TIMEOUT": "1m30s"},
			func(e *Env) bool { return e.RequestTimeout == 90*time.Second }},
		{"fanout timeout", map[string]string{"TINYSCALE_FANOUT_TIMEOUT": "3s"},
			func(e *Env) bool { return e.FanoutTimeout == 3*time.Second }},
		{"poll interval", map[string]string{"TINYSCALE_POLL_INTERVAL": "1h"},
			func(e *Env) bool { return e.PollInterval == time.Hour }},
		{"max body bytes", map[string]string{"TINYSCALE_MAX_BODY": "2000000"},
			func(e *Env) bool { return e.MaxBody == 2000000 }},
		{"max body MiB", map[string]string{"TINYSCALE_MAX_BODY": "32MiB"},
			func(e *Env) bool { return e.MaxBody == 32<<20 }},
		{"json logs", map[string]string{"TINYSCALE_LOG_FORMAT": "json"},
			func(e *Env) bool { return e.LogFormat == "json" }},
		{"debug logs", map[string]string{"TINYSCALE_LOG_LEVEL": "debug"},
			func(e *Env) bool { return e.LogLevel == "debug" }},
		{"error logs", map[string]string{"TINYSCALE_LOG_LEVEL": "error"},
			func(e *Env) bool { return e.LogLevel == "error" }},
		{"round robin", map[string]string{"TINYSCALE_STRATEGY": "roundrobin"},
			func(e *Env) bool { return e.Strategy == "roundrobin" }},
		{"hysteresis", map[string]string{"TINYSCALE_OFFLINE_AFTER": "3", "TINYSCALE_ONLINE_AFTER": "1"},
			func(e *Env) bool { return e.OfflineAfter == 3 && e.OnlineAfter == 1 }},
		{"meeting size", map[string]string{"TINYSCALE_MEETING_SIZE": "40"},
			func(e *Env) bool { return e.MeetingSize == 40 }},
		{"meeting ramp", map[string]string{"TINYSCALE_MEETING_RAMP": "5m"},
			func(e *Env) bool { return e.MeetingRamp == 5*time.Minute }},
		{"admin token", map[string]string{"TINYSCALE_ADMIN_TOKEN": "tok"},
			func(e *Env) bool { return e.AdminToken == "tok" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["TINYSCALE_SECRET"] = "s"
			e, err := LoadEnv(envOf(tt.env), true)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(e) {
				t.Errorf("env %v gave %+v", tt.env, *e)
			}
		})
	}
}

// TestLoadEnvErrors checks that a bad value is refused, naming the
// variable, the value and an example of a good one.
func TestLoadEnvErrors(t *testing.T) {
	tests := []struct {
		key, value string
		want       []string
	}{
		{"PORT", "http", []string{"PORT", `"http"`, "PORT=8000"}},
		{"PORT", "-1", []string{"PORT", `"-1"`}},
		{"PORT", "65536", []string{"PORT", `"65536"`}},
		{"PORT", ":8000", []string{"PORT"}},
		{"TINYSCALE_CHECKSUM_ALGORITHMS", "md5", []string{"TINYSCALE_CHECKSUM_ALGORITHMS", "md5", "sha256"}},
		{"TINYSCALE_CHECKSUM_ALGORITHMS", ",", []string{"TINYSCALE_CHECKSUM_ALGORITHMS"}},
		{"TINYSCALE_CONNECT_TIMEOUT", "2", []string{"TINYSCALE_CONNECT_TIMEOUT", `"2"`, "TINYSCALE_CONNECT_TIMEOUT=2s"}},
		{"TINYSCALE_REQUEST_TIMEOUT", "0s", []string{"TINYSCALE_REQUEST_TIMEOUT", "positive", "10s"}},
		{"TINYSCALE_FANOUT_TIMEOUT", "-5s", []string{"TINYSCALE_FANOUT_TIMEOUT", "positive"}},
		{"TINYSCALE_POLL_INTERVAL", "often", []string{"TINYSCALE_POLL_INTERVAL", `"often"`, "10s"}},
		{"TINYSCALE_MAX_BODY", "lots", []string{"TINYSCALE_MAX_BODY", `"lots"`, "16MiB"}},
		{"TINYSCALE_MAX_BODY", "0", []string{"TINYSCALE_MAX_BODY", `"0"`}},
		{"TINYSCALE_MAX_BODY", "-1MiB", []string{"TINYSCALE_MAX_BODY", `"-1MiB"`}},
		{"TINYSCALE_LOG_FORMAT", "xml", []string{"TINYSCALE_LOG_FORMAT", `"xml"`, "text or json"}},
		{"TINYSCALE_LOG_LEVEL", "verbose", []string{"TINYSCALE_LOG_LEVEL", `"verbose"`, "debug, info, warn or error"}},
		{"TINYSCALE_STRATEGY", "random", []string{"TINYSCALE_STRATEGY", `"random"`, "least-load", "roundrobin"}},
		{"TINYSCALE_OFFLINE_AFTER", "0", []string{"TINYSCALE_OFFLINE_AFTER", `"0"`, "TINYSCALE_OFFLINE_AFTER=2"}},
		{"TINYSCALE_ONLINE_AFTER", "two", []string{"TINYSCALE_ONLINE_AFTER", `"two"`}},
		{"TINYSCALE_MEETING_SIZE", "-3", []string{"TINYSCALE_MEETING_SIZE", `"-3"`, "TINYSCALE_MEETING_SIZE=15"}},
		{"TINYSCALE_MEETING_RAMP", "15", []string{"TINYSCALE_MEETING_RAMP", `"15"`, "15m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			e, err := LoadEnv(envOf(map[string]string{"TINYSCALE_SECRET": "s", tt.key: tt.value}), true)
			if err == nil {
				t.Fatalf("accepted %s=%q: %+v", tt.key, tt.value, *e)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestParseSize checks the size forms TINYSCALE_MAX_BODY accepts.
func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"2000000", 2000000},
		{"0", 0},
		{"10B", 10},
		{"512KiB", 512 << 10},
		{"16MiB", 16 << 20},
		{"1GiB", 1 << 30},
		{"3KB", 3000},
		{"5MB", 5000000},
		{"2GB", 2000000000},
		{" 16 MiB ", 16 << 20},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil {
			t.Errorf("ParseSize(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestParseSizeErrors checks that what is not a byte count is refused.
func TestParseSizeErrors(t *testing.T) {
	for _, in := range []string{"", "MiB", "abc", "1.5MiB", "16 M", "0x10", "9999999999GiB", "99999999999999999999"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestCheckStrength(t *testing.T) {
	for _, c := range []struct {
		name, secret, token string
		fatal               bool
		warnings            int
	}{
		{"strong", "a-long-enough-secret", "an-admin-token-of-24-chr", false, 0},
		{"no admin token", "a-long-enough-secret", "", false, 0},
		{"admin token of 16", "a-long-enough-secret", "sixteen-chars-xy", false, 0},
		{"admin token of 15", "a-long-enough-secret", "fifteen-chars-x", true, 0},
		{"short secret warns", "k3y", "an-admin-token-of-24-chr", false, 1},
	} {
		e := &Env{Secret: c.secret, AdminToken: c.token}
		w, err := e.CheckStrength()
		if (err != nil) != c.fatal || len(w) != c.warnings {
			t.Errorf("%s: warnings %q, error %v", c.name, w, err)
		}
		if err != nil && (!strings.Contains(err.Error(), "TINYSCALE_ADMIN_TOKEN") || strings.Contains(err.Error(), c.token)) {
			t.Errorf("%s: the error must name the setting and never show the token: %v", c.name, err)
		}
		for _, s := range w {
			if strings.Contains(s, c.secret) {
				t.Errorf("%s: the warning shows the secret: %s", c.name, s)
			}
		}
	}
}
