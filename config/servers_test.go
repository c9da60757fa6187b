package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/bbb"
)

// TestNormalizeHost covers the forms operators write for a server's URL:
// all of them must give the API base tinyscale signs calls against.
func TestNormalizeHost(t *testing.T) {
	const want = "https://bbb.example.org/bigbluebutton/api"
	tests := []struct {
		in, want string
	}{
		{"https://bbb.example.org", want},
		{"https://bbb.example.org/", want},
		{"https://bbb.example.org/bigbluebutton", want},
		{"https://bbb.example.org/bigbluebutton/", want},
		{"https://bbb.example.org/bigbluebutton/api", want},
		{"https://bbb.example.org/bigbluebutton/api/", want},
		{"https://bbb.example.org/bigbluebutton/api//", want},
		{"  https://bbb.example.org/bigbluebutton/api \n", want},
		{"http://bbb.example.org/bigbluebutton/api", "http://bbb.example.org/bigbluebutton/api"},
		{"http://10.0.0.5:8080", "http://10.0.0.5:8080/bigbluebutton/api"},
		{"https://bbb.example.org:8443/bigbluebutton/", "https://bbb.example.org:8443/bigbluebutton/api"},
		{"http://[::1]:9000/bigbluebutton/api", "http://[::1]:9000/bigbluebutton/api"},
		{"https://example.org/bbb1", "https://example.org/bbb1/bigbluebutton/api"},
		{"https://example.org/bbb1/bigbluebutton/api/", "https://example.org/bbb1/bigbluebutton/api"},
	}
	for _, tt := range tests {
		got, err := NormalizeHost(tt.in)
		if err != nil {
			t.Errorf("NormalizeHost(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNormalizeHostErrors checks that a host tinyscale cannot call is
// refused with a hint at the right form.
func TestNormalizeHostErrors(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{"empty", "https://"}},
		{"   ", []string{"empty"}},
		{"bbb.example.org/bigbluebutton/api", []string{"not an http(s) URL", "https://bbb1.example.org/bigbluebutton/api"}},
		{"ftp://bbb.example.org", []string{"not an http(s) URL"}},
		{"https://", []string{"not an http(s) URL"}},
		{"https://bbb.example.org/bigbluebutton/api?x=1", []string{"query"}},
		{"https://bbb.example.org/#top", []string{"fragment"}},
	}
	for _, tt := range tests {
		got, err := NormalizeHost(tt.in)
		if err == nil {
			t.Errorf("NormalizeHost(%q) = %q, want an error", tt.in, got)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("NormalizeHost(%q) error %q does not mention %q", tt.in, err, w)
			}
		}
	}
}

// TestParseServers checks a valid file: hosts normalised, defaults filled
// in, fields a later version may add ignored.
func TestParseServers(t *testing.T) {
	data := `[
	  {"host": "https://bbb1.example.org", "secret": "s1"},
	  {"id": "second", "host": "http://10.0.0.2:8080/bigbluebutton/", "secret": "s2",
	   "algorithm": "sha1", "weight": 2.5, "tags": ["big", "eu"], "max_load": 300},
	  {"host": "https://bbb3.example.org/bigbluebutton/api/", "secret": "s3",
	   "algorithm": "SHA-512", "future_field": {"nested": true}, "enabled": false}
	]`
	got, err := ParseServers("servers.json", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id, host, secret string
		alg              bbb.Algorithm
		weight, maxLoad  float64
		tags             []string
	}{
		{"bbb1.example.org", "https://bbb1.example.org/bigbluebutton/api", "s1", bbb.SHA256, 1, 0, nil},
		{"second", "http://10.0.0.2:8080/bigbluebutton/api", "s2", bbb.SHA1, 2.5, 300, []string{"big", "eu"}},
		{"bbb3.example.org", "https://bbb3.example.org/bigbluebutton/api", "s3", bbb.SHA512, 1, 0, nil},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d servers, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || g.Host != w.host || g.Secret != w.secret || g.Weight != w.weight {
			t.Errorf("server %d = {ID:%q Host:%q Secret:%q Weight:%v}, want {%q %q %q %v}",
				i+1, g.ID, g.Host, g.Secret, g.Weight, w.id, w.host, w.secret, w.weight)
		}
		if g.MaxLoad != w.maxLoad {
			t.Errorf("server %d max_load = %v, want %v", i+1, g.MaxLoad, w.maxLoad)
		}
		if a := g.SigningAlgorithm(); a != w.alg {
			t.Errorf("server %d signs with %v, want %v", i+1, a, w.alg)
		}
		if strings.Join(g.Tags, ",") != strings.Join(w.tags, ",") {
			t.Errorf("server %d tags = %q, want %q", i+1, g.Tags, w.tags)
		}
	}
}

// TestParseServersDefaultIDKeepsPort checks that two servers on one host
// with different ports get different default IDs.
func TestParseServersDefaultIDKeepsPort(t *testing.T) {
	got, err := ParseServers("servers.json", []byte(`[
	  {"host": "http://127.0.0.1:9001", "secret": "a"},
	  {"host": "http://127.0.0.1:9002", "secret": "b"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != "127.0.0.1:9001" || got[1].ID != "127.0.0.1:9002" {
		t.Errorf("IDs = %q, %q; want 127.0.0.1:9001, 127.0.0.1:9002", got[0].ID, got[1].ID)
	}
}

// TestParseServersErrors checks that every mistake is refused with a
// message naming the file, the server, the field and the fix.
func TestParseServersErrors(t *testing.T) {
	const good = `{"host": "https://bbb1.example.org", "secret": "s1"}`
	tests := []struct {
		name string
		data string
		want []string // every one must appear in the error
	}{
		{"empty host", `[` + good + `, {"host": "", "secret": "x"}]`,
			[]string{"servers.json", "server 2", `"host"`, "empty", "https://"}},
		{"missing host", `[{"secret": "x"}]`,
			[]string{"servers.json", "server 1", `"host"`, "empty"}},
		{"bad scheme", `[{"host": "bbb1.example.org", "secret": "x"}]`,
			[]string{"servers.json", "server 1", `"host"`, "bbb1.example.org", "https://"}},
		{"ftp scheme", `[` + good + `, {"host": "ftp://bbb2.example.org", "secret": "x"}]`,
			[]string{"servers.json", "server 2", `"host"`, "ftp://bbb2.example.org"}},
		{"empty secret", `[` + good + `, {"host": "https://bbb2.example.org", "secret": " "}]`,
			[]string{"servers.json", "server 2", "https://bbb2.example.org/bigbluebutton/api", `"secret"`, "empty", "bbb-conf --secret"}},
		{"missing secret", `[{"host": "https://bbb2.example.org"}]`,
			[]string{"servers.json", "server 1", `"secret"`, "bbb-conf --secret"}},
		{"bad algorithm", `[{"host": "https://bbb1.example.org", "secret": "x", "algorithm": "md5"}]`,
			[]string{"servers.json", "server 1", `"algorithm"`, "md5", "sha1, sha256, sha384, sha512"}},
		{"algorithm list", `[{"host": "https://bbb1.example.org", "secret": "x", "algorithm": "sha1,sha256"}]`,
			[]string{"servers.json", "server 1", `"algorithm"`, "sha1,sha256", "use one of"}},
		{"negative weight", `[` + good + `, {"host": "https://bbb2.example.org", "secret": "x", "weight": -1}]`,
			[]string{"servers.json", "server 2", `"weight"`, "negative", "positive"}},
		{"negative max_load", `[{"host": "https://bbb1.example.org", "secret": "x", "max_load": -10}]`,
			[]string{"servers.json", "server 1", `"max_load"`, "negative", "leave it out"}},
		{"duplicate host", `[` + good + `, {"host": "https://bbb1.example.org/bigbluebutton/api/", "secret": "x"}]`,
			[]string{"servers.json", "server 2", "host", "server 1", "https://bbb1.example.org/bigbluebutton/api", "remove one"}},
		{"duplicate id", `[{"id": "a", "host": "https://bbb1.example.org", "secret": "x"}, {"id": "a", "host": "https://bbb2.example.org", "secret": "y"}]`,
			[]string{"servers.json", "server 2", `"id"`, `"a"`, "server 1"}},
		{"default id clashes with explicit id", `[{"id": "bbb2.example.org", "host": "https://bbb1.example.org", "secret": "x"}, {"host": "https://bbb2.example.org", "secret": "y"}]`,
			[]string{"servers.json", "server 2", `"id"`, "bbb2.example.org", "server 1"}},
		{"invalid JSON", "[\n  " + good + ",\n  {\"host\": \"https://bbb2.example.org\"\n   \"secret\": \"x\"}\n]",
			[]string{"servers.json", "line 4", "invalid JSON"}},
		{"trailing comma", "[\n  " + good + ",\n]\n",
			[]string{"servers.json", "line 3", "invalid JSON"}},
		{"object instead of array", `{"host": "https://bbb1.example.org", "secret": "x"}`,
			[]string{"servers.json", "JSON array"}},
		{"wrong field type", `[{"host": "https://bbb1.example.org", "secret": 42}]`,
			[]string{"servers.json", "JSON array"}},
		{"empty list", `[]`, []string{"servers.json", "no servers", "add at least one"}},
		{"null", `null`, []string{"servers.json", "no servers"}},
		{"empty file", ``, []string{"servers.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseServers("servers.json", []byte(tt.data))
			if err == nil {
				t.Fatalf("accepted %s: %+v", tt.data, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestLoadServers reads a file from disk, as serve does.
func TestLoadServers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "servers.json")
	if err := os.WriteFile(path, []byte(`[{"host": "https://bbb1.example.org/bigbluebutton/", "secret": "s"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadServers(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Host != "https://bbb1.example.org/bigbluebutton/api" || got[0].Secret != "s" {
		t.Errorf("LoadServers = %+v", got)
	}
}

// TestLoadServersErrors checks that file problems name the path.
func TestLoadServersErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("[\n{\"host\": \"https://bbb1.example.org\", \"secret\": \"\"}\n]"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       []string
	}{
		{"missing file", filepath.Join(dir, "nope.json"), []string{filepath.Join(dir, "nope.json"), "not found", "TINYSCALE_SERVERS"}},
		{"directory", dir, []string{dir}},
		{"invalid content", bad, []string{bad, "server 1", `"secret"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadServers(tt.path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestSigningAlgorithm checks the algorithm used towards a backend.
func TestSigningAlgorithm(t *testing.T) {
	tests := []struct {
		alg  string
		want bbb.Algorithm
	}{
		{"", bbb.SHA256},
		{"sha1", bbb.SHA1},
		{"sha256", bbb.SHA256},
		{"sha384", bbb.SHA384},
		{"sha512", bbb.SHA512},
		{"SHA-1", bbb.SHA1},
	}
	for _, tt := range tests {
		s := Server{Algorithm: tt.alg}
		if got := s.SigningAlgorithm(); got != tt.want {
			t.Errorf("Algorithm %q: SigningAlgorithm() = %v, want %v", tt.alg, got, tt.want)
		}
	}
}
