package gateway

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/tenant"
)

// call is one API request on its way through the gateway.
type call struct {
	name  string
	r     *http.Request
	start time.Time

	// params are the request's parameters as BBB reads them (bbb.Params):
	// the URL query, then the fields of a form or multipart body, checksum
	// left out. Handlers read and change only these; what is forwarded to a
	// backend is built from them (query), never from the raw query.
	params bbb.Params
	// form is true when the client sent its parameters in a form body: the
	// call goes on to the backend as a POST too.
	form bool
	// body and contentType are forwarded byte for byte (XML, a text
	// track's multipart upload).
	body        []byte
	contentType string

	// tenant is whose call it is; its secrets verify the checksum.
	tenant *tenant.Tenant
	// meetingID is the client's meeting ID as BBB reads it; bbbID the one
	// BBB sees (the same but for named tenants, whose IDs are scoped).
	meetingID string
	bbbID     string
	// foreign is true for a default-tenant meeting ID shaped like a named
	// tenant's backend-side ID: such a meeting is unknown to the caller.
	foreign bool
	// parsed is true once params could be read; verified once the
	// checksum held too.
	parsed, verified bool
	// logoutURL is the server's default logout URL, where a failed join
	// without errorRedirectUrl or logoutURL lands; "" for tinyscale's root.
	logoutURL string
	// rw is the client's ResponseWriter, noting whether an answer began.
	rw responseWriter

	// For the log line.
	server string
	result string

	// location holds a join redirect's Location header value: the call
	// outlives the answer, so the header needs no slice of its own.
	location [1]string
}

// fail answers e and notes it for the log line: BBB XML, BBB's JSON form
// for the text-track calls, or for join BBB's error redirect.
func (c *call) fail(w http.ResponseWriter, e *bbb.Error) {
	c.result = e.Key
	switch {
	case c.isJSON():
		bbb.WriteJSONError(w, e)
	case c.name == bbb.CallJoin:
		c.joinError(w, e)
	default:
		bbb.WriteError(w, e)
	}
}

// param returns the value of a parameter as BBB reads it.
func (c *call) param(key string) string { return c.params.Get(key) }

// query is the query forwarded to a backend (before the backend client
// signs it): built from c.params, so the backend reads what tinyscale read.
func (c *call) query() string { return c.params.Encode() }

// maxGetQuery is the longest query forwarded in a GET. nginx and Tomcat
// refuse request lines over 8 KB; the relay URLs tinyscale puts in a
// create make it several times longer than the client's, so from 2 KB on a
// call BBB accepts by POST is sent as one.
const maxGetQuery = 2 << 10

// postable are the calls BBB accepts as a form POST (shared/bbb-api.md §1).
var postable = map[string]bool{
	bbb.CallCreate: true, bbb.CallEnd: true, bbb.CallIsMeetingRunning: true,
	bbb.CallGetMeetingInfo: true, bbb.CallGetMeetings: true, bbb.CallGetRecordings: true,
	bbb.CallUpdateRecordings: true, bbb.CallGetRecordingTextTracks: true,
}

// wire says how query goes to a backend: method, URL query, body and its
// Content-Type. A call that carries a body of its own (XML, a text track)
// keeps it. A form POST stays a POST, and a long query of a call BBB takes
// by POST becomes one: the routing parameters stay in the signed URL query
// (BBB hashes only that, and an empty one would be hashed differently by
// BBB 2.7 and 3.0), everything else goes into the form body.
func (c *call) wire(query string) (method, q string, body []byte, contentType string) {
	if c.body != nil {
		return http.MethodPost, query, c.body, c.contentType
	}
	if !postable[c.name] || (!c.form && len(query) <= maxGetQuery) {
		return http.MethodGet, query, nil, ""
	}
	urlPart, bodyPart := splitForPost(query)
	if bodyPart == "" {
		return http.MethodGet, query, nil, ""
	}
	return http.MethodPost, urlPart, []byte(bodyPart), "application/x-www-form-urlencoded"
}

// splitForPost keeps meetingID and recordID (or, without them, the first
// parameter) in the URL query and moves the others, in order, to a form
// body. query is canonically encoded (bbb.Params.Encode, callback.Rewrite),
// so names compare as sent.
func splitForPost(query string) (urlPart, bodyPart string) {
	pairs := strings.Split(query, "&")
	var u, b []string
	for _, pair := range pairs {
		name, _, _ := strings.Cut(pair, "=")
		if name == "meetingID" || name == "recordID" {
			u = append(u, pair)
		} else {
			b = append(b, pair)
		}
	}
	if len(u) == 0 && len(b) > 0 {
		u, b = b[:1], b[1:]
	}
	return strings.Join(u, "&"), strings.Join(b, "&")
}

// parse verifies the checksum and reads the parameters into c.params and
// c.body. It returns the error to answer and its HTTP status (200 but for
// limits).
//
// Only the URL query is hashed, as BBB does, on the raw bytes as received.
// A form-encoded or multipart POST whose query is empty is accepted both
// ways clients sign it: over the empty query (BBB 3.0, Scalelite) and over
// the sorted form parameters (BBB 2.4–2.7).
func (g *Gateway) parse(c *call, r *http.Request) (*bbb.Error, int) {
	q, cs := bbb.SplitChecksum(r.URL.RawQuery)
	var bodyParams, uploadFields bbb.Params
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
			ct, mparams, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil {
				return bbb.ErrContentType, http.StatusOK
			}
			form := false
			var bodyErr *bbb.Error
			switch ct {
			case "application/x-www-form-urlencoded":
				bodyParams, bodyErr = bbb.ParseParams(string(body))
				form = true
			case "multipart/form-data":
				bodyParams, bodyErr = multipartParams(body, mparams["boundary"])
				if c.name == bbb.CallPutRecordingTextTrack {
					// The upload goes on as it came, its fields with it;
					// they are no parameters of the forwarded query (the
					// backend would see them twice). tinyscale routes by
					// the query's recordID only, so one in the body would
					// be read by the backend unrouted: refused below.
					c.body, c.contentType = body, r.Header.Get("Content-Type")
					uploadFields, bodyParams = bodyParams, nil
				} else {
					form = true
				}
			case "application/xml", "text/xml":
				c.body, c.contentType = body, r.Header.Get("Content-Type")
			default:
				return bbb.ErrContentType, http.StatusOK
			}
			if bodyErr != nil {
				return bodyErr, http.StatusOK // nothing to verify against
			}
			c.form = form
			if form {
				if cs == "" {
					cs = bodyParams.Get("checksum")
				}
				if q == "" {
					formQ := bbb.FormQuery(bodyParams.Values())
					verifyErr = g.verify(c, "", cs)
					if verifyErr != nil && formQ != "" {
						verifyErr = g.verify(c, formQ, cs)
					}
					verified = true
				}
			}
		}
	}
	params, parseErr := bbb.ParseParams(q)
	if parseErr == nil {
		c.params = append(params, bodyParams...)
		// The client's signature is not the backend's; a second
		// "checksum" in another spelling must not reach it either.
		c.params.Del("checksum")
		c.parsed = true
	}
	if !verified {
		verifyErr = g.verify(c, q, cs)
	}
	if verifyErr != nil {
		return g.checksumFailed(r, g.limiterName(c), verifyErr), http.StatusOK
	}
	if parseErr != nil {
		return parseErr, http.StatusOK
	}
	c.verified = true
	interpreted := g.interpreted(c)
	if key, dup := c.params.Repeated(interpreted); dup {
		return bbb.RepeatedError(key), http.StatusOK
	}
	for _, kv := range uploadFields {
		if key := bbb.ParamKey(kv.Name); interpreted(key) {
			return &bbb.Error{Key: "validationError", Message: "Param '" + key + "' must be in the query, not in the upload"}, http.StatusOK
		}
	}
	if meetingCalls[c.name] {
		id, e := c.params.MeetingID()
		if e != nil {
			return e, http.StatusOK
		}
		c.meetingID, c.bbbID = id, id
	}
	return nil, http.StatusOK
}

// multipartParams reads the text fields of a multipart body as parameters,
// decoded as ParseParams decodes a query. File fields are not parameters.
func multipartParams(body []byte, boundary string) (bbb.Params, *bbb.Error) {
	if boundary == "" {
		return nil, bbb.ErrBadQuery
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var p bbb.Params
	for {
		part, err := mr.NextPart()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return p, nil
			}
			return nil, bbb.ErrBadQuery
		}
		if part.FileName() != "" || part.FormName() == "" {
			part.Close()
			continue
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(part); err != nil {
			return nil, bbb.ErrBadQuery
		}
		name := bbb.StripControl(part.FormName())
		if name != "" {
			p.Add(name, bbb.StripControl(b.String()))
		}
	}
}

// meetingCalls are the calls about one meeting, named by meetingID: BBB
// trims that ID, and tinyscale routes by it.
var meetingCalls = map[string]bool{
	bbb.CallCreate: true, bbb.CallJoin: true, bbb.CallEnd: true, bbb.CallIsMeetingRunning: true,
	bbb.CallGetMeetingInfo: true, bbb.CallInsertDocument: true, bbb.CallSendChatMessage: true,
}

// interpretedKey reports whether key (as bbb.ParamKey files it) is one of
// the parameters tinyscale routes by, reads or rewrites. Given twice,
// tinyscale and the backend could read different values, so such a
// request is refused. A switch, not a map: it is asked for every
// parameter of every call.
func interpretedKey(key string) bool {
	switch key {
	case "meetingID", "recordID",
		// join: how it answers, where errors land, who joins.
		"redirect", "errorRedirectUrl", "logoutURL", "role", "password",
		// create: placement and the callbacks tinyscale relays.
		"meta_server-tag", "meta_bbb-meeting-size-hint", "meetingEndedURL",
		"meta_endcallbackurl", "meta_bbb-recording-ready-url", "meta_bn-recording-ready-url",
		"meta_canvas-recording-ready-url", "meta_analytics-callback-url",
		"isBreakout", "parentMeetingID",
		// getRecordings: filters and paging.
		"state", "offset", "limit":
		return true
	}
	return false
}

// interpreted returns whether a parameter key is one tinyscale reads for
// c: the fixed set and the keys the tenant's and the global policy set.
//
// It is asked for every parameter of every call: the fixed set is a
// switch, and a policy without keys (the usual case) is skipped without
// ranging over its maps.
func (g *Gateway) interpreted(c *call) func(string) bool {
	var policies [2]*tenant.Policy
	n := 0
	for _, p := range []*tenant.Policy{&g.tenants.Global, &c.tenant.Policy} {
		if len(p.CreateDefaults)+len(p.CreateOverrides)+len(p.JoinDefaults)+len(p.JoinOverrides) > 0 {
			policies[n] = p
			n++
		}
	}
	return func(key string) bool {
		if interpretedKey(key) {
			return true
		}
		for _, p := range policies[:n] {
			for _, m := range [...]map[string]string{p.CreateDefaults, p.CreateOverrides, p.JoinDefaults, p.JoinOverrides} {
				for k := range m {
					if bbb.ParamKey(k) == key {
						return true
					}
				}
			}
		}
		return false
	}
}

// scope turns the call's meeting ID into the one BBB sees and sets it in
// the parameters. A named tenant's IDs get its prefix. A default-tenant ID
// that would read as a named tenant's can never be the default tenant's:
// a create of it is refused, and any other call answers as for an unknown
// meeting (nothing tells a prober that the ID is special), without ever
// reaching that tenant's meeting.
func (g *Gateway) scope(c *call) *bbb.Error {
	if c.meetingID == "" {
		return nil
	}
	if c.tenant == g.tenants.Default() {
		if g.tenants.MultiTenant() && g.tenants.Reserved(c.meetingID) {
			if c.name == bbb.CallCreate {
				return &bbb.Error{Key: "validationError", Message: "Meeting ID cannot start with another tenant's prefix"}
			}
			c.foreign = true
		}
		return nil
	}
	id, err := c.tenant.Scope(c.meetingID)
	if err != nil {
		return &bbb.Error{Key: "validationError", Message: "Meeting ID must be at most " + strconv.Itoa(c.tenant.MaxIDLength()) + " characters"}
	}
	c.bbbID = id
	c.params.Set("meetingID", id)
	return nil
}

// unscope shows the client its own IDs in a BBB answer: every element
// whose text is one of the tenant's scoped IDs, whatever BBB calls it
// (<meetingID>, recording metadata's <meetingId>, a meta_ key), is
// translated back, so no answer carries a backend-side form of them.
func (c *call) unscope(body []byte) []byte {
	return unscopeTexts(c.tenant, body)
}

// unscopeTexts translates every scoped ID of t in doc back to t's own.
func unscopeTexts(t *tenant.Tenant, doc []byte) []byte {
	if t == nil || t.Name == tenant.DefaultName {
		return doc
	}
	return bbb.ReplaceEveryText(doc, t.Unscope)
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
