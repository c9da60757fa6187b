// Package callback relays the calls BBB servers make back to integrations
// (meeting ended, recording ready, learning analytics) through tinyscale.
//
// On create, each callback URL is replaced by a tinyscale endpoint whose
// path carries the original URL in a signed token. The relay is
// stateless: any tinyscale instance sharing the state store holds the
// relay key, so it can take the callback, check the backend's signature
// with that backend's secret, sign it again with the secret the
// integration knows, and queue it for delivery (package deliver). Nothing
// that is not inside a valid token is ever delivered: tinyscale is no
// open relay.
package callback

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tinyscale/tinyscale/state"
)

// Kind says which callback a token stands for.
type Kind string

// The callbacks tinyscale relays.
const (
	// End is meta_endCallbackUrl: a GET when the meeting ends.
	End Kind = "end"
	// Ended is the create parameter meetingEndedURL, the integration's own
	// or tinyscale's: a GET when the meeting ends.
	Ended Kind = "ended"
	// Recording is a recording-ready URL: a POST with a JWT.
	Recording Kind = "rec"
	// Analytics is meta_analytics-callback-url: a JSON POST with a Bearer JWT.
	Analytics Kind = "ana"
)

// Target is what a token carries: where the callback goes and for which
// meeting on which server.
type Target struct {
	Kind Kind `json:"k"`
	// URL is the integration's callback URL; empty for tinyscale's own
	// meetingEndedURL.
	URL       string `json:"u,omitempty"`
	Tenant    string `json:"t,omitempty"`
	MeetingID string `json:"m"`
	ServerID  string `json:"s"`
	// Placed ties the token to one session of the meeting: when its
	// placement was made (Unix milliseconds), 0 if unknown. A later
	// session of the same meeting ID gets a new placement, so a late
	// meeting-ended callback of an earlier session is told apart from a
	// replay of the running one's.
	Placed int64 `json:"p,omitempty"`
}

type claims struct {
	Target
	jwt.RegisteredClaims
}

// Signer issues and checks tokens with the relay key: a key of
// tinyscale's own (see LoadKey), so that tokens survive a change of
// TINYSCALE_SECRET. Tokens do not expire: a recording may be reprocessed,
// and its metadata read, years after the meeting.
type Signer struct {
	key []byte
	// legacy is the key of tokens issued before the relay key existed
	// (derived from TINYSCALE_SECRET, with a 30-day expiry): still
	// accepted, their expiry ignored, while that secret is unchanged.
	legacy []byte
}

// KeyDoc is the state document holding the relay key.
const KeyDoc = "callback-key"

// LoadKey returns the relay key kept in store, making it on first use.
// Every instance sharing the store gets the same key (state.Docs.InitDoc
// decides between instances starting at once).
func LoadKey(store state.Docs) ([]byte, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh)
	key, err := store.InitDoc(KeyDoc, fresh)
	if err != nil {
		return nil, fmt.Errorf("callback relay key: %w", err)
	}
	if len(key) < 32 {
		return nil, fmt.Errorf("callback relay key: the stored key (document %q) is %d bytes, want 32", KeyDoc, len(key))
	}
	return key, nil
}

// NewKeySigner returns the signer of key (from LoadKey). legacySecret,
// if not empty, is TINYSCALE_SECRET: tokens issued by earlier versions
// with it keep being accepted.
func NewKeySigner(key []byte, legacySecret string) *Signer {
	s := &Signer{key: append([]byte(nil), key...)}
	if legacySecret != "" {
		s.legacy = legacyKey(legacySecret)
	}
	return s
}

// NewSigner returns a signer keyed on secret alone, as earlier versions
// were: for tests and tools without a state store.
func NewSigner(secret string) *Signer {
	k := legacyKey(secret)
	return &Signer{key: k, legacy: k}
}

// legacyKey derives the token key of earlier versions from the
// client-facing secret. The derivation keeps the secret itself out of
// the token's MAC, so a token cannot be used to test guesses of it.
func legacyKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("tinyscale callback token v1"))
	return m.Sum(nil)
}

// Issue returns the token for t. It carries when it was issued, for the
// logs, and no expiry.
func (s *Signer) Issue(t Target, now time.Time) (string, error) {
	c := claims{Target: t, RegisteredClaims: jwt.RegisteredClaims{IssuedAt: jwt.NewNumericDate(now)}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
}

// ErrBadToken is any token tinyscale did not issue.
var ErrBadToken = errors.New("invalid callback token")

// Parse checks a token and returns its target. Neither the token's age
// nor an expiry in it (legacy tokens had one) matters.
func (s *Signer) Parse(token string) (Target, error) {
	for _, key := range [][]byte{s.key, s.legacy} {
		if key == nil {
			continue
		}
		var c claims
		_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key, nil },
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithoutClaimsValidation())
		if err == nil && c.Kind != "" {
			return c.Target, nil
		}
	}
	return Target{}, ErrBadToken
}

// readable returns the target of a token of tinyscale's form whose key
// is no longer known (a legacy token after TINYSCALE_SECRET changed).
// Only for showing the integration its own URL in metadata: nothing is
// ever delivered on such a token.
func readable(token string) (Target, bool) {
	var c claims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil || c.Kind == "" || !isHTTPURL(c.URL) {
		return Target{}, false
	}
	return c.Target, true
}
