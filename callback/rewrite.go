package callback

import (
	"bytes"
	"net/url"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
)

// PathPrefix is where the relay endpoints live on tinyscale:
// PathPrefix + kind + "/" + token.
const PathPrefix = "/tinyscale/callback/"

// metaKinds maps the lower-cased metadata keys BBB calls back to their kind
// (BBB lower-cases metadata keys, so meta_endCallbackUrl is endcallbackurl).
var metaKinds = map[string]Kind{
	"endcallbackurl":             End,
	"bbb-recording-ready-url":    Recording,
	"bn-recording-ready-url":     Recording, // Moodle
	"canvas-recording-ready-url": Recording, // Canvas
	"analytics-callback-url":     Analytics,
}

// Rewriter turns a create's callback parameters into relay URLs.
type Rewriter struct {
	// Base is tinyscale's URL as BBB servers reach it (TINYSCALE_URL),
	// without a trailing slash.
	Base   string
	Signer *Signer
	Now    func() time.Time
}

func (r *Rewriter) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// relayURL returns the relay endpoint for t.
func (r *Rewriter) relayURL(t Target) (string, error) {
	tok, err := r.Signer.Issue(t, r.now())
	if err != nil {
		return "", err
	}
	return r.Base + PathPrefix + string(t.Kind) + "/" + tok, nil
}

// Rewrite returns the raw create query with every callback URL replaced by
// a relay URL for a meeting placed on serverID, and tinyscale's own
// meetingEndedURL added when the client sent none, so that tinyscale
// learns at once when the meeting ends. Other parameters keep their bytes.
func (r *Rewriter) Rewrite(query, tenant, meetingID, serverID string) (string, error) {
	return r.RewriteSession(query, Target{Tenant: tenant, MeetingID: meetingID, ServerID: serverID})
}

// RewriteSession is Rewrite for the session of session.MeetingID whose
// placement (tenant, server, Placed) session names: its tokens are tied
// to that session.
func (r *Rewriter) RewriteSession(query string, session Target) (string, error) {
	base := session
	base.Kind, base.URL = "", ""
	parts := strings.Split(query, "&")
	haveEnded := false
	for i, pair := range parts {
		rawKey, rawVal, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			continue
		}
		var kind Kind
		if meta, ok := strings.CutPrefix(key, "meta_"); ok {
			kind = metaKinds[strings.ToLower(meta)]
		} else if key == "meetingEndedURL" {
			kind, haveEnded = Ended, true
		}
		if kind == "" {
			continue
		}
		target, err := url.QueryUnescape(rawVal)
		if err != nil || !isHTTPURL(target) {
			continue // BBB could not call it either; leave it as sent
		}
		t := base
		t.Kind, t.URL = kind, target
		u, err := r.relayURL(t)
		if err != nil {
			return "", err
		}
		parts[i] = rawKey + "=" + url.QueryEscape(u)
	}
	if !haveEnded {
		t := base
		t.Kind = Ended
		u, err := r.relayURL(t)
		if err != nil {
			return "", err
		}
		parts = append(parts, "meetingEndedURL="+url.QueryEscape(u))
	}
	if query == "" {
		parts = parts[1:] // Split of "" gave one empty part
	}
	return strings.Join(parts, "&"), nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Restore replaces every relay URL in a BBB answer (metadata of
// getMeetingInfo, getMeetings, getRecordings) by the integration's own
// URL, so integrations never see tinyscale's. Bodies without a relay URL
// are returned as they are, without a copy.
func (r *Rewriter) Restore(body []byte) []byte {
	marker := []byte(r.Base + PathPrefix)
	if !bytes.Contains(body, marker) {
		return body
	}
	var out bytes.Buffer
	out.Grow(len(body))
	rest := body
	for {
		i := bytes.Index(rest, marker)
		if i < 0 {
			out.Write(rest)
			return out.Bytes()
		}
		out.Write(rest[:i])
		tail := rest[i+len(marker):]
		end := bytes.IndexAny(tail, "<\"' \t\r\n&?")
		if end < 0 {
			end = len(tail)
		}
		kind, tok, _ := strings.Cut(string(tail[:end]), "/")
		t, err := r.Signer.Parse(tok)
		if err != nil {
			// Showing the integration its own URL must not depend on the
			// key that signed it: a legacy token after a secret change.
			var ok bool
			if t, ok = readable(tok); ok {
				err = nil
			}
		}
		if err != nil || string(t.Kind) != kind || t.URL == "" {
			out.Write(rest[i : i+len(marker)+end]) // not ours to change
		} else {
			out.WriteString(bbb.Escape(t.URL))
		}
		rest = tail[end:]
	}
}
