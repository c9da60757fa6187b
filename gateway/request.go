package gateway

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/tenant"
)

// call is one API request on its way through the gateway.
type call struct {
	name  string
	r     *http.Request
	start time.Time

	// query is the verified raw query without its checksum: what is
	// forwarded, re-signed, to a backend. Parameters that came in a form
	// body are moved here, so the backend gets a plain GET.
	query string
	// body and contentType are forwarded byte for byte (XML, multipart).
	body        []byte
	contentType string

	// tenant is whose call it is; its secrets verify the checksum.
	tenant *tenant.Tenant
	// meetingID is the client's meeting ID; bbbID the one BBB sees (the
	// same but for named tenants, whose IDs are scoped).
	meetingID string
	bbbID     string

	// For the log line.
	server string
	result string
}

// fail answers e and notes it for the log line: BBB XML, or BBB's JSON
// form for the text-track calls.
func (c *call) fail(w http.ResponseWriter, e *bbb.Error) {
	c.result = e.Key
	if c.isJSON() {
		bbb.WriteJSONError(w, e)
		return
	}
	bbb.WriteError(w, e)
}

// param returns a decoded parameter of the verified query.
func (c *call) param(key string) string {
	v, _, _ := bbb.Param(c.query, key)
	return v
}

// method is how the call goes to a backend: POST when it carries a body.
func (c *call) method() string {
	if c.body != nil {
		return http.MethodPost
	}
	return http.MethodGet
}

// parse verifies the checksum and fills in c.query and c.body. It returns
// the error to answer and its HTTP status (200 but for limits).
//
// Only the URL query is hashed, as BBB does. A form-encoded POST whose
// query is empty is accepted both ways clients sign it: over the empty
// query (BBB 3.0, Scalelite) and over the sorted form parameters (BBB
// 2.4–2.7).
func (g *Gateway) parse(c *call, r *http.Request) (*bbb.Error, int) {
	var addr string
	if g.cfg.Limiter != nil {
		addr = g.cfg.Limiter.Addr(r)
		if g.cfg.Limiter.Blocked(addr, c.start) {
			return errTooManyFailures, http.StatusOK
		}
	}
	q, cs := bbb.SplitChecksum(r.URL.RawQuery)
	var verifyErr error
	verified := false
	if r.Method == http.MethodPost && r.Body != nil {
		if r.ContentLength > g.cfg.MaxBody {
			// Refused before reading a byte: a 50 MB upload costs nothing.
			return bbb.ErrTooLarge, http.StatusRequestEntityTooLarge
		}
		body, err := readBody(r, g.cfg.MaxBody)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return bbb.ErrTooLarge, http.StatusRequestEntityTooLarge
			}
			return bbb.ErrBadQuery, http.StatusOK
		}
		if len(body) > 0 {
			ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil {
				return bbb.ErrContentType, http.StatusOK
			}
			switch ct {
			case "application/x-www-form-urlencoded":
				form, err := url.ParseQuery(string(body))
				if err != nil {
					return bbb.ErrBadQuery, http.StatusOK
				}
				if cs == "" {
					cs = form.Get("checksum")
				}
				formQ := bbb.FormQuery(form)
				if q == "" {
					verifyErr = g.verify(c, "", cs)
					if verifyErr != nil && formQ != "" {
						verifyErr = g.verify(c, formQ, cs)
					}
					verified = true
				}
				q = joinQuery(q, formQ)
			case "multipart/form-data", "application/xml", "text/xml":
				c.body, c.contentType = body, r.Header.Get("Content-Type")
			default:
				return bbb.ErrContentType, http.StatusOK
			}
		}
	}
	if !verified {
		verifyErr = g.verify(c, q, cs)
	}
	if verifyErr != nil {
		if g.cfg.Limiter.Fail(addr, c.start) {
			g.log.Warn("too many failed checksums: client blocked", "client", addr, "for", g.cfg.Limiter.Block)
		}
		return bbb.ChecksumError(verifyErr), http.StatusOK
	}
	if !bbb.ValidQuery(q) {
		return bbb.ErrBadQuery, http.StatusOK
	}
	c.query = q
	c.meetingID = c.param("meetingID")
	c.bbbID = c.meetingID
	return nil, http.StatusOK
}

// scope turns the call's meeting ID into the one BBB sees and rewrites the
// query to match. A named tenant's IDs get its prefix; a default-tenant ID
// that would read as a named tenant's is refused, or the default tenant
// could reach into that tenant's meetings.
func (g *Gateway) scope(c *call) *bbb.Error {
	if c.meetingID == "" {
		return nil
	}
	if c.tenant == g.tenants.Default() {
		if g.tenants.MultiTenant() && g.tenants.Reserved(c.meetingID) {
			return &bbb.Error{Key: "validationError", Message: "Meeting ID cannot start with another tenant's prefix"}
		}
		return nil
	}
	id, err := c.tenant.Scope(c.meetingID)
	if err != nil {
		return &bbb.Error{Key: "validationError", Message: "Meeting ID must be at most " + strconv.Itoa(c.tenant.MaxIDLength()) + " characters"}
	}
	c.bbbID = id
	c.query = bbb.ReplaceParam(c.query, "meetingID", id)
	return nil
}

// scoped reports whether BBB sees another meeting ID than the client.
func (c *call) scoped() bool { return c.bbbID != c.meetingID }

// unscope shows the client its own meeting ID in a BBB answer.
func (c *call) unscope(body []byte) []byte {
	if !c.scoped() {
		return body
	}
	return bbb.ReplaceText(body, "meetingID", func(s string) (string, bool) {
		return c.meetingID, s == c.bbbID
	})
}

// errTooManyFailures answers a blocked client: still BBB's checksumError,
// which every integration handles, with a text that says why.
var errTooManyFailures = &bbb.Error{Key: "checksumError", Message: "Too many failed checksums from this address; try again later."}

// readBody reads a request body of at most limit bytes into a buffer of
// its announced size, instead of growing one by doubling.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	size := r.ContentLength
	if size < 0 || size > limit {
		size = 512
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1)) // +1: EOF is seen without a regrow
	_, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, limit))
	return buf.Bytes(), err
}

func (g *Gateway) verify(c *call, q, cs string) error {
	return bbb.VerifySplit(c.name, q, cs, g.cfg.Algorithms, c.tenant.Secrets...)
}

func joinQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}
