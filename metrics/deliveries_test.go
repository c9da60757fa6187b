package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/pool"
)

// TestDeliveries: attempts are counted per tenant, kind and outcome, the
// queue's depth per tenant is read at scrape, and kinds are bounded.
func TestDeliveries(t *testing.T) {
	m := New(pool.New())
	d := m.Deliveries(func() map[string]int { return map[string]int{"uni-a": 3, "default": 0} })
	d.Attempt("uni-a", "end", "retrying")
	d.Attempt("uni-a", "end", "retrying")
	d.Attempt("uni-a", "end", "delivered")
	d.Attempt("default", "rec", "gone")
	for i := range maxKinds + 10 {
		d.Attempt("default", "k"+strings.Repeat("x", i), "delivered")
	}
	d.Attempt("default", "not a word!", "delivered")
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body := w.Body.String()
	for _, want := range []string{
		`tinyscale_deliveries_total{kind="end",outcome="retrying",tenant="uni-a"} 2`,
		`tinyscale_deliveries_total{kind="end",outcome="delivered",tenant="uni-a"} 1`,
		`tinyscale_deliveries_total{kind="rec",outcome="gone",tenant="default"} 1`,
		`tinyscale_delivery_queue{tenant="uni-a"} 3`,
		`tinyscale_delivery_queue{tenant="default"} 0`,
		`kind="other"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if n := strings.Count(body, "tinyscale_deliveries_total{"); n > maxKinds+4 {
		t.Errorf("%d delivery series: kinds are not bounded", n)
	}
}
