package config

import (
	"strings"
	"testing"
)

// FuzzParseServers: any servers.json either loads into servers that all
// have a normalised http(s) host ending in /bigbluebutton/api, a secret, a
// positive weight and a unique id, or gives an error naming the file.
func FuzzParseServers(f *testing.F) {
	for _, s := range []string{
		`[{"host": "https://bbb1.example.org/bigbluebutton/api", "secret": "s1"}]`,
		`[{"host": "https://bbb1.example.org", "secret": "s1", "id": "a", "weight": 2, "tags": ["x"], "max_load": 100, "algorithm": "sha1"},
		  {"host": "http://10.0.0.2:8080/bigbluebutton/", "secret": "s2", "extra": {"future": true}}]`,
		`[]`, `{}`, `null`, `[{"host": 1}]`, `[{"host": "ftp://x", "secret": "s"}]`, "[{\"host\": \"https://a\", \"secret\": \"s\"},{\"host\": \"https://a/\", \"secret\": \"t\"}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseServers("servers.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "servers.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		ids := map[string]bool{}
		for _, s := range list {
			if !strings.HasSuffix(s.Host, "/bigbluebutton/api") || !(strings.HasPrefix(s.Host, "http://") || strings.HasPrefix(s.Host, "https://")) {
				t.Fatalf("host not normalised: %q", s.Host)
			}
			if strings.TrimSpace(s.Secret) == "" || s.Weight <= 0 || s.ID == "" || ids[s.ID] {
				t.Fatalf("invalid server accepted: %+v", s)
			}
			ids[s.ID] = true
			if again, err := NormalizeHost(s.Host); err != nil || again != s.Host {
				t.Fatalf("NormalizeHost not idempotent: %q -> %q %v", s.Host, again, err)
			}
		}
	})
}
