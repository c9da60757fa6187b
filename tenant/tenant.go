// Package tenant knows the organisations sharing one tinyscale: how a
// request is recognised as theirs, their secrets, how their meeting IDs
// are kept apart on the BBB servers, and their policy and limits.
package tenant

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// DefaultName is the tenant of requests on the plain path with
// TINYSCALE_SECRET: single-tenant users never see another.
const DefaultName = "default"

// Tenant is one organisation.
type Tenant struct {
	// Name identifies the tenant: in /t/<name>/bigbluebutton/api paths, in
	// the IDs BBB sees, in metrics. Lower-case letters, digits and '-'.
	Name string `json:"name"`
	// Secrets are the tenant's API secrets. Any one is accepted, so a
	// secret can be rotated without downtime: add the new one, move the
	// integration, remove the old one. The first signs callbacks.
	Secrets []string `json:"secrets"`
	// Hosts are Host header values recognised as this tenant
	// (bbb.uni-a.example), compared without port and case.
	Hosts []string `json:"hosts,omitempty"`
	Policy
}

// Policy is what a tenant may do and what is imposed on its calls.
type Policy struct {
	// CreateDefaults are create parameters used when the client sends
	// none; CreateOverrides replace whatever the client sends.
	CreateDefaults  map[string]string `json:"create_defaults,omitempty"`
	CreateOverrides map[string]string `json:"create_overrides,omitempty"`
	// JoinDefaults and JoinOverrides are the same for join.
	JoinDefaults  map[string]string `json:"join_defaults,omitempty"`
	JoinOverrides map[string]string `json:"join_overrides,omitempty"`
	// MaxMeetings bounds the tenant's concurrent meetings; 0: no limit.
	MaxMeetings int `json:"max_meetings,omitempty"`
	// MaxParticipants bounds the users in all the tenant's meetings
	// together; 0: no limit.
	MaxParticipants int `json:"max_participants,omitempty"`
	// Tags, when set, are the only server tags the tenant's meetings may
	// use: they are placed only on servers carrying one of them.
	Tags []string `json:"tags,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Validate checks a tenant; the error names the field and the fix.
func (t *Tenant) Validate() error {
	if !nameRE.MatchString(t.Name) {
		return fmt.Errorf("tenant %q: field \"name\" must be 1-63 lower-case letters, digits or '-', starting with a letter or digit", t.Name)
	}
	if len(t.Secrets) == 0 {
		return fmt.Errorf("tenant %q: field \"secrets\" is empty; give at least one secret (e.g. from `openssl rand -hex 32`)", t.Name)
	}
	for _, s := range t.Secrets {
		if len(strings.TrimSpace(s)) < 8 {
			return fmt.Errorf("tenant %q: a secret in \"secrets\" is shorter than 8 characters; use a long random secret", t.Name)
		}
	}
	for _, h := range t.Hosts {
		if h == "" || strings.ContainsAny(h, "/ ") {
			return fmt.Errorf("tenant %q: %q in \"hosts\" is not a host name; write e.g. bbb.uni-a.example", t.Name, h)
		}
	}
	if t.MaxMeetings < 0 || t.MaxParticipants < 0 {
		return fmt.Errorf("tenant %q: limits must not be negative", t.Name)
	}
	for _, m := range []map[string]string{t.CreateDefaults, t.CreateOverrides, t.JoinDefaults, t.JoinOverrides} {
		for k := range m {
			if k == "meetingID" || k == "checksum" {
				return fmt.Errorf("tenant %q: %q cannot be a default or override", t.Name, k)
			}
		}
	}
	return nil
}

// separator joins a tenant's name and a meeting ID into the ID BBB sees.
// BBB allows any character in meeting IDs but ','.
const separator = "~"

// maxMeetingID is BBB's limit for meeting IDs.
const maxMeetingID = 256

// ErrIDTooLong means a scoped meeting ID would exceed BBB's limit.
var ErrIDTooLong = errors.New("meeting ID too long")

// Scope returns the meeting ID BBB sees for the tenant's meetingID. The
// default tenant's IDs are unchanged, so single-tenant setups and their
// existing meetings are not affected.
func (t *Tenant) Scope(meetingID string) (string, error) {
	if t.Name == DefaultName {
		return meetingID, nil
	}
	s := t.Name + separator + meetingID
	if len(s) > maxMeetingID {
		return "", ErrIDTooLong
	}
	return s, nil
}

// Unscope is Scope's inverse: the tenant's own form of a BBB-side ID, and
// whether id is one of this tenant's scoped IDs at all. The default tenant
// scopes nothing, so nothing is unscoped for it.
func (t *Tenant) Unscope(id string) (string, bool) {
	if t.Name == DefaultName {
		return id, false
	}
	local, ok := strings.CutPrefix(id, t.Name+separator)
	return local, ok
}

// MaxIDLength is the longest meeting ID the tenant may use.
func (t *Tenant) MaxIDLength() int {
	if t.Name == DefaultName {
		return maxMeetingID
	}
	return maxMeetingID - len(t.Name) - len(separator)
}
