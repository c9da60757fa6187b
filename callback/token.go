// Package callback relays the calls BBB servers make back to integrations
// (meeting ended, recording ready, learning analytics) through tinyscale.
//
// On create, each callback URL is replaced by a tinyscale endpoint whose
// path carries the original URL in a signed token. The relay is stateless:
// any tinyscale instance that knows the secret can take the callback,
// check the backend's signature with that backend's secret, sign it again
// with the secret the integration knows, and deliver it. Nothing that is
// not inside a valid token is ever delivered: tinyscale is no open relay.
package callback

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
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
}

type claims struct {
	Target
	jwt.RegisteredClaims
}

// Signer issues and checks tokens with a key derived from the
// client-facing secret, so every instance sharing the secret agrees.
type Signer struct {
	key []byte
}

// NewSigner derives the token key from secret. The derivation keeps the
// secret itself out of the token's MAC, so a token cannot be used to test
// guesses of the API secret's checksums.
func NewSigner(secret string) *Signer {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("tinyscale callback token v1"))
	return &Signer{key: m.Sum(nil)}
}

// tokenLifetime bounds how long a callback URL stays valid: recordings can
// take days to process, and a meeting may run for a day first.
const tokenLifetime = 30 * 24 * time.Hour

// Issue returns the token for t.
func (s *Signer) Issue(t Target, now time.Time) (string, error) {
	c := claims{Target: t, RegisteredClaims: jwt.RegisteredClaims{
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(tokenLifetime)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
}

// ErrBadToken is any token tinyscale did not issue, or that expired.
var ErrBadToken = errors.New("invalid callback token")

// Parse checks a token and returns its target.
func (s *Signer) Parse(token string) (Target, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired())
	if err != nil || c.Kind == "" {
		return Target{}, ErrBadToken
	}
	return c.Target, nil
}
