package bbb

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// recycleServer answers ?size=n&fill=c with n bytes of c, chunked unless
// length=1 declares the length.
func recycleServer(t *testing.T) *Client {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("size"))
		body := bytes.Repeat([]byte(r.URL.Query().Get("fill")), n)
		if r.URL.Query().Get("length") == "1" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return &Client{Base: s.URL, Secret: "s", Budget: NewBudget(64 << 20)}
}

// TestRecycledAnswers: an answer recycled gives its memory back to the
// budget and its buffer to the next answers, which read exactly their own
// bytes whatever the sizes before them, chunked or of a declared length;
// an answer only released keeps its bytes while the next ones reuse
// buffers.
func TestRecycledAnswers(t *testing.T) {
	c := recycleServer(t)
	kept, err := c.Get(t.Context(), "getMeetings", "size=70000&fill=k")
	if err != nil {
		t.Fatal(err)
	}
	kept.Release()
	fills := "abcdefgh"
	for i, size := range []int{300_000, 1000, 150_000, 150_000, 5, 2 << 20, 80_000, maxPooledAnswer, 0} {
		for _, length := range []string{"0", "1"} {
			fill := string(fills[i%len(fills)])
			res, err := c.Get(t.Context(), "getMeetings", "size="+strconv.Itoa(size)+"&fill="+fill+"&length="+length)
			if err != nil {
				t.Fatal(err)
			}
			if want := bytes.Repeat([]byte(fill), size); !bytes.Equal(res.Body, want) {
				t.Fatalf("size %d (declared: %s): got %d bytes, not %d of %q", size, length, len(res.Body), size, fill)
			}
			res.Recycle()
			if res.Body != nil {
				t.Fatal("Body still set after Recycle")
			}
			res.Recycle() // a second time does nothing
			if used := c.Budget.Used(); used != 0 {
				t.Fatalf("size %d: %d bytes still charged after Recycle", size, used)
			}
		}
	}
	if !bytes.Equal(kept.Body, bytes.Repeat([]byte("k"), 70000)) {
		t.Error("an answer only released was overwritten by later ones")
	}
}
