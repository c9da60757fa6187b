// Package config reads tinyscale's configuration: servers.json and the
// environment. Every error names the file or variable, the field, and the fix.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
)

// Server is one entry of servers.json.
type Server struct {
	// ID names the server in logs, metrics and the admin API. Defaults to
	// the host name of its URL (with the port, if any).
	ID string `json:"id"`
	// Host is the server's API URL, normalised to end in /bigbluebutton/api.
	Host string `json:"host"`
	// Secret is the server's securitySalt (bbb-conf --secret).
	Secret string `json:"secret"`
	// Algorithm signs calls to this server: sha1, sha256 (default), sha384
	// or sha512. Set sha1 only for servers that accept nothing else.
	Algorithm string `json:"algorithm,omitempty"`
	// Weight scales how much load the server takes (default 1).
	Weight float64 `json:"weight,omitempty"`
	// Tags are matched against meta_server-tag on create.
	Tags []string `json:"tags,omitempty"`
	// MaxLoad is a hard limit: above this load (about one unit per
	// participant) the server takes no new meetings. 0: none.
	MaxLoad float64 `json:"max_load,omitempty"`
}

// SigningAlgorithm is the parsed Algorithm, SHA-256 when unset.
func (s *Server) SigningAlgorithm() bbb.Algorithm {
	if s.Algorithm == "" {
		return bbb.SHA256
	}
	a, _ := bbb.ParseAlgorithms(s.Algorithm)
	return a
}

// LoadServers reads and validates a servers.json file.
func LoadServers(path string) ([]Server, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: file not found; create it with your BBB servers, e.g. [{\"host\": \"https://bbb1.example.org/bigbluebutton/api\", \"secret\": \"...\"}], or point TINYSCALE_SERVERS at it", path)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return ParseServers(path, data)
}

// ParseServers validates the JSON of servers.json; name is used in messages.
// Unknown fields are ignored, so files written for later versions load.
func ParseServers(name string, data []byte) ([]Server, error) {
	var list []Server
	if err := json.Unmarshal(data, &list); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
			return nil, fmt.Errorf("%s: line %d: invalid JSON: %v", name, line, err)
		}
		return nil, fmt.Errorf("%s: want a JSON array of {\"host\", \"secret\"} objects: %v", name, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: no servers; add at least one {\"host\", \"secret\"} entry", name)
	}
	ids := map[string]int{}
	hosts := map[string]int{}
	for i := range list {
		s := &list[i]
		where := fmt.Sprintf("%s: server %d", name, i+1)
		host, err := NormalizeHost(s.Host)
		if err != nil {
			return nil, fmt.Errorf("%s: field \"host\": %v", where, err)
		}
		s.Host = host
		if strings.TrimSpace(s.Secret) == "" {
			return nil, fmt.Errorf("%s (%s): field \"secret\" is empty; set it to the output of `bbb-conf --secret` on that server", where, host)
		}
		if s.Algorithm != "" {
			a, err := bbb.ParseAlgorithms(s.Algorithm)
			if err != nil || a != bbb.SHA1 && a != bbb.SHA256 && a != bbb.SHA384 && a != bbb.SHA512 {
				return nil, fmt.Errorf("%s (%s): field \"algorithm\" is %q; use one of sha1, sha256, sha384, sha512", where, host, s.Algorithm)
			}
		}
		if s.Weight < 0 {
			return nil, fmt.Errorf("%s (%s): field \"weight\" is negative; use a positive number (1 is the default)", where, host)
		}
		if s.MaxLoad < 0 {
			return nil, fmt.Errorf("%s (%s): field \"max_load\" is negative; use a positive number, or leave it out for no limit", where, host)
		}
		if s.Weight == 0 {
			s.Weight = 1
		}
		if s.ID == "" {
			u, _ := url.Parse(host)
			s.ID = u.Host
		}
		if j, dup := hosts[host]; dup {
			return nil, fmt.Errorf("%s: same host as server %d (%s); remove one of them", where, j, host)
		}
		if j, dup := ids[s.ID]; dup {
			return nil, fmt.Errorf("%s: id %q is also used by server %d; give each server its own \"id\"", where, s.ID, j)
		}
		hosts[host], ids[s.ID] = i+1, i+1
	}
	return list, nil
}

// NormalizeHost turns the forms operators write into the API base URL:
// "https://bbb.example.org", ".../bigbluebutton", ".../bigbluebutton/api",
// with or without a trailing slash, all give
// "https://bbb.example.org/bigbluebutton/api".
func NormalizeHost(host string) (string, error) {
	h := strings.TrimSpace(host)
	if h == "" {
		return "", errors.New("is empty; set it to the server's URL, e.g. https://bbb1.example.org/bigbluebutton/api")
	}
	u, err := url.Parse(h)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL; write it as https://bbb1.example.org/bigbluebutton/api", host)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q has a query or fragment; give only the server's URL", host)
	}
	p := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(p, "/bigbluebutton/api"):
	case strings.HasSuffix(p, "/bigbluebutton"):
		p += "/api"
	default:
		p += "/bigbluebutton/api"
	}
	u.Path, u.RawPath = p, ""
	return u.String(), nil
}
