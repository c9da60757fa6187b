package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAuth checks the token: the API is off without one, and refuses a
// missing or wrong token on every endpoint.
func TestAuth(t *testing.T) {
	on := newEnv(t, token, nil, "bbb1")
	off := newEnv(t, "", nil, "bbb1")
	paths := []struct{ method, path string }{
		{"GET", Prefix + "servers"},
		{"POST", Prefix + "servers/bbb1/cordon"},
		{"POST", Prefix + "servers/bbb1/panic"},
		{"DELETE", Prefix + "servers/bbb1"},
		{"GET", Prefix + "meetings"},
		{"GET", "/admin/anything-else"},
	}
	tests := []struct {
		name       string
		env        *env
		auth       string
		wantStatus int
		wantError  string
	}{
		{"disabled, no token", off, "", http.StatusNotFound, "admin API disabled: set TINYSCALE_ADMIN_TOKEN"},
		{"disabled, a token", off, "Bearer " + token, http.StatusNotFound, "admin API disabled: set TINYSCALE_ADMIN_TOKEN"},
		{"disabled, empty bearer", off, "Bearer ", http.StatusNotFound, "admin API disabled"},
		{"no header", on, "", http.StatusUnauthorized, "TINYSCALE_ADMIN_TOKEN"},
		{"wrong token", on, "Bearer not-the-token", http.StatusUnauthorized, "wrong"},
		{"token prefix", on, "Bearer " + token[:5], http.StatusUnauthorized, "wrong"},
		{"token plus more", on, "Bearer " + token + "x", http.StatusUnauthorized, "wrong"},
		{"empty bearer", on, "Bearer ", http.StatusUnauthorized, "wrong"},
		{"basic scheme", on, "Basic " + token, http.StatusUnauthorized, "wrong"},
		{"bare token", on, token, http.StatusUnauthorized, "wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range paths {
				st, body := tt.env.adminAs(tt.auth, p.method, p.path, nil, nil)
				if st != tt.wantStatus || !strings.Contains(body, tt.wantError) || !strings.Contains(body, `"error"`) {
					t.Errorf("%s %s: HTTP %d %s, want %d with %q", p.method, p.path, st, body, tt.wantStatus, tt.wantError)
				}
			}
		})
	}
	// Nothing was changed by the refused requests.
	if s := on.pool.Get("bbb1"); s == nil || s.Admin() != "enabled" {
		t.Fatalf("a refused request changed the server: %+v", s)
	}
	for _, auth := range []string{"Bearer " + token, "bearer " + token, "Bearer  " + token + " "} {
		if st, body := on.adminAs(auth, "GET", Prefix+"servers", nil, nil); st != http.StatusOK {
			t.Errorf("Authorization %q: HTTP %d %s", auth, st, body)
		}
	}
}

// TestRoutingErrors checks that every error is JSON with a message that
// says what went wrong.
func TestRoutingErrors(t *testing.T) {
	e := newEnv(t, token, nil, "bbb1")
	tests := []struct {
		method, path string
		wantStatus   int
		want         string
	}{
		{"POST", Prefix + "servers/nope/cordon", http.StatusNotFound, `no server with id \"nope\"`},
		{"DELETE", Prefix + "servers/nope", http.StatusNotFound, "servers list"},
		{"POST", Prefix + "servers/nope/panic", http.StatusNotFound, "nope"},
		{"GET", Prefix + "servers/nope", http.StatusNotFound, "nope"},
		{"GET", Prefix + "servers/bbb1/cordon", http.StatusMethodNotAllowed, "POST"},
		{"PUT", Prefix + "servers", http.StatusMethodNotAllowed, "GET"},
		{"GET", Prefix + "frobnicate", http.StatusNotFound, "no such admin endpoint"},
		{"POST", Prefix + "servers/bbb1/reboot", http.StatusNotFound, "no such admin endpoint"},
	}
	for _, tt := range tests {
		st, body := e.admin(tt.method, tt.path, nil, nil)
		if st != tt.wantStatus || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s: HTTP %d %s, want %d with %q", tt.method, tt.path, st, body, tt.wantStatus, tt.want)
		}
	}
}

// TestFailedTokensAreRateLimited: past ten wrong tokens a minute from one
// address, wrong tokens get 429 with Retry-After; the right token still
// gets in from that address.
func TestFailedTokensAreRateLimited(t *testing.T) {
	a := New(Config{Token: "right-admin-token-1234"})
	do := func(tok string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/admin/v1/servers", nil)
		r.RemoteAddr = "192.0.2.9:5555"
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		return w
	}
	for i := range 10 {
		if w := do("guess"); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: HTTP %d, want 401", i, w.Code)
		}
	}
	w := do("guess")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("11th wrong token: HTTP %d, Retry-After %q; want 429 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if w := do("right-admin-token-1234"); w.Code == http.StatusUnauthorized || w.Code == http.StatusTooManyRequests {
		t.Fatalf("the right token from a limited address: HTTP %d", w.Code)
	}
}
