package callback

import (
	"net/url"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tinyscale/tinyscale/state"
	"strings"
	"testing"
	"time"
)

func TestTokenRoundTrip(t *testing.T) {
	s := NewSigner("client-secret")
	want := Target{Kind: Recording, URL: "https://gl.example/recording_ready", Tenant: "default", MeetingID: "room & [1]", ServerID: "bbb1"}
	tok, err := s.Issue(want, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Parse(tok)
	if err != nil || got != want {
		t.Fatalf("Parse = %+v, %v; want %+v", got, err, want)
	}
	if strings.Contains(tok, "client-secret") {
		t.Fatal("token holds the secret")
	}
	for name, bad := range map[string]string{
		"other secret": func() string { t, _ := NewSigner("other").Issue(want, time.Now()); return t }(),
		"tampered":     tok[:len(tok)-2] + "xx",
		"garbage":      "not-a-token",
		"empty":        "",
		"alg none":     "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJrIjoicmVjIiwidSI6Imh0dHBzOi8vZXZpbC5leGFtcGxlIn0.",
	} {
		if _, err := s.Parse(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRewriteAndRestore(t *testing.T) {
	r := &Rewriter{Base: "https://lb.example", Signer: NewSigner("k")}
	q := "meetingID=room1&name=Room+1&meta_endCallbackUrl=https%3A%2F%2Fgl.example%2Fmeeting_ended%3Fa%3D1" +
		"&meta_bbb-recording-ready-url=https%3A%2F%2Fgl.example%2Frecording_ready" +
		"&meta_bn-recording-ready-url=https%3A%2F%2Fmoodle.example%2Fready" +
		"&meta_analytics-callback-url=https%3A%2F%2Fmoodle.example%2Fanalytics" +
		"&meta_bbb-origin=greenlight&meta_other-url=https%3A%2F%2Fx.example"
	out, err := r.Rewrite(q, "default", "room1", "bbb1")
	if err != nil {
		t.Fatal(err)
	}
	v, err := url.ParseQuery(out)
	if err != nil {
		t.Fatal(err)
	}
	for key, kind := range map[string]Kind{
		"meta_endCallbackUrl":          End,
		"meta_bbb-recording-ready-url": Recording,
		"meta_bn-recording-ready-url":  Recording,
		"meta_analytics-callback-url":  Analytics,
		"meetingEndedURL":              Ended,
	} {
		if !strings.HasPrefix(v.Get(key), "https://lb.example/tinyscale/callback/"+string(kind)+"/") {
			t.Errorf("%s = %q, want a relay URL", key, v.Get(key))
		}
	}
	if v.Get("meta_bbb-origin") != "greenlight" || v.Get("meta_other-url") != "https://x.example" || !strings.HasPrefix(out, "meetingID=room1&name=Room+1&") {
		t.Errorf("other parameters changed: %s", out)
	}
	// What BBB returns as metadata is shown with the integration's URLs.
	doc := "<response><metadata><endcallbackurl>" + v.Get("meta_endCallbackUrl") + "</endcallbackurl>" +
		"<bbb-recording-ready-url>" + v.Get("meta_bbb-recording-ready-url") + "</bbb-recording-ready-url>" +
		"<bbb-origin>greenlight</bbb-origin></metadata></response>"
	got := string(r.Restore([]byte(doc)))
	want := "<response><metadata><endcallbackurl>https://gl.example/meeting_ended?a=1</endcallbackurl>" +
		"<bbb-recording-ready-url>https://gl.example/recording_ready</bbb-recording-ready-url>" +
		"<bbb-origin>greenlight</bbb-origin></metadata></response>"
	if got != want {
		t.Fatalf("Restore:\n got %s\nwant %s", got, want)
	}
	// A forged relay URL stays as it is: nothing is decoded from it.
	forged := "<x>https://lb.example/tinyscale/callback/end/eyJforged.x.y</x>"
	if got := string(r.Restore([]byte(forged))); got != forged {
		t.Fatalf("Restore changed a forged URL: %s", got)
	}
}

func TestRewriteKeepsClientMeetingEndedURL(t *testing.T) {
	r := &Rewriter{Base: "https://lb.example", Signer: NewSigner("k")}
	out, _ := r.Rewrite("meetingID=a&meetingEndedURL=https%3A%2F%2Fapp.example%2Fended", "default", "a", "s")
	v, _ := url.ParseQuery(out)
	if len(v["meetingEndedURL"]) != 1 {
		t.Fatalf("meetingEndedURL given %d times: %s", len(v["meetingEndedURL"]), out)
	}
	tok := strings.TrimPrefix(v.Get("meetingEndedURL"), "https://lb.example/tinyscale/callback/ended/")
	tgt, err := r.Signer.Parse(tok)
	if err != nil || tgt.URL != "https://app.example/ended" {
		t.Fatalf("client's meetingEndedURL not carried: %+v %v", tgt, err)
	}
	out, _ = r.Rewrite("", "default", "a", "s")
	if !strings.HasPrefix(out, "meetingEndedURL=") {
		t.Fatalf("empty query: %q", out)
	}
}

func TestCheckTargets(t *testing.T) {
	for _, c := range []struct {
		query string
		bad   string // the parameter named in the error, "" for none
	}{
		{"meetingID=a&meta_endCallbackUrl=https%3A%2F%2Fgl.example%2Fend", ""},
		{"meetingID=a&meetingEndedURL=http%3A%2F%2F10.0.0.1%3A8080%2Fx", ""},
		{"meetingID=a&meta_endCallbackUrl=", ""},
		{"meetingID=a&meta_other=file%3A%2F%2F%2Fetc%2Fpasswd", ""}, // not a callback
		{"meetingID=a&meta_endCallbackUrl=file%3A%2F%2F%2Fetc%2Fpasswd", "meta_endCallbackUrl"},
		{"meetingID=a&meta_ENDCALLBACKURL=gopher%3A%2F%2Fx", "meta_ENDCALLBACKURL"},
		{"meetingID=a&meta%5Fbbb-recording-ready-url=%2Frelative", "meta_bbb-recording-ready-url"},
		{"meetingID=a&meta_bn-recording-ready-url=javascript%3Aalert(1)", "meta_bn-recording-ready-url"},
		{"meetingID=a&meta_canvas-recording-ready-url=ftp%3A%2F%2Fx%2F", "meta_canvas-recording-ready-url"},
		{"meetingID=a&meta_analytics-callback-url=https%3A%2F%2F", "meta_analytics-callback-url"},
		{"meetingID=a&meetingEndedURL=%zz", "meetingEndedURL"},
	} {
		e := CheckTargets(c.query)
		switch {
		case c.bad == "" && e != nil:
			t.Errorf("%s: refused: %v", c.query, e)
		case c.bad != "" && (e == nil || e.Key != "validationError" || !strings.Contains(e.Message, c.bad)):
			t.Errorf("%s: got %v, want validationError naming %s", c.query, e, c.bad)
		}
	}
}

func TestTokensOutliveTheSecretAndTime(t *testing.T) {
	key := make([]byte, 32)
	key[0] = 7
	want := Target{Kind: End, URL: "https://gl.example/end", Tenant: "default", MeetingID: "m", ServerID: "s1"}
	s := NewKeySigner(key, "old-secret")
	tok, err := s.Issue(want, time.Now().Add(-5*365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Five years old, and TINYSCALE_SECRET changed: still the relay's.
	if got, err := NewKeySigner(key, "new-secret").Parse(tok); err != nil || got != want {
		t.Fatalf("an old token after a secret change: %+v, %v", got, err)
	}
	// A legacy token (secret-derived key, 30-day expiry, long expired) is
	// accepted while the secret is the same...
	legacy := legacyExpired(t, "old-secret", want)
	if got, err := s.Parse(legacy); err != nil || got != want {
		t.Fatalf("an expired legacy token: %+v, %v", got, err)
	}
	// ...and after the secret changed, it is never delivered on, but its
	// URL is still shown in metadata.
	rotated := NewKeySigner(key, "new-secret")
	if _, err := rotated.Parse(legacy); err == nil {
		t.Fatal("a legacy token of an old secret was accepted for delivery")
	}
	rw := &Rewriter{Base: "https://lb.example", Signer: rotated}
	body := []byte("<endcallbackurl>https://lb.example" + PathPrefix + "end/" + legacy + "</endcallbackurl>")
	if got := string(rw.Restore(body)); got != "<endcallbackurl>https://gl.example/end</endcallbackurl>" {
		t.Fatalf("Restore of a legacy token after a secret change: %s", got)
	}
	// A different relay key never verifies.
	other := make([]byte, 32)
	if _, err := NewKeySigner(other, "").Parse(tok); err == nil {
		t.Fatal("a token of another relay key was accepted")
	}
}

// legacyExpired is a token as earlier versions issued it: keyed on the
// secret, with an expiry, here 60 days ago.
func legacyExpired(t *testing.T, secret string, target Target) string {
	t.Helper()
	c := claims{Target: target, RegisteredClaims: jwt.RegisteredClaims{
		IssuedAt:  jwt.NewNumericDate(time.Now().Add(-90 * 24 * time.Hour)),
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(-60 * 24 * time.Hour)),
	}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(legacyKey(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestLoadKey: the relay key is made once and then read back, so a
// restarted instance (or another one sharing the store) signs alike.
func TestLoadKey(t *testing.T) {
	store := state.NewMemory()
	k1, err := LoadKey(store)
	if err != nil || len(k1) != 32 {
		t.Fatalf("LoadKey = %x, %v", k1, err)
	}
	k2, err := LoadKey(store)
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("second LoadKey = %x, %v; want the first %x", k2, err, k1)
	}
	tok, _ := NewKeySigner(k1, "").Issue(Target{Kind: End, URL: "https://x.example/", MeetingID: "m", ServerID: "s"}, time.Now())
	if _, err := NewKeySigner(k2, "").Parse(tok); err != nil {
		t.Fatal("a token of one instance does not verify on another sharing the store")
	}
	store.SaveDoc(KeyDoc, []byte("short"))
	if _, err := LoadKey(store); err == nil {
		t.Fatal("a damaged stored key was accepted")
	}
}
