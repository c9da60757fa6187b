package bbbfake

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/tinyscale/tinyscale/bbb"
)

// maxRequestLine is the longest request URI nginx passes to BBB (8 KB).
const maxRequestLine = 8 << 10

// maxBody is the largest request body accepted (BBB's default is 2 MB).
const maxBody = 4 << 20

// Media types of POST bodies.
const (
	typeForm      = "application/x-www-form-urlencoded"
	typeMultipart = "multipart/form-data"
	typeXML       = "application/xml"
	typeTextXML   = "text/xml"
)

// route describes how one call is served.
type route struct {
	get, post bool
	// types are the POST body media types accepted; a POST with a body of
	// another type gets unsupportedContentType.
	types []string
	// needBody: a POST without a body of an accepted type is refused.
	needBody bool
	// json: errors are answered in the text-track JSON form.
	json   bool
	handle func(*apiCall)
}

var (
	formTypes   = []string{typeForm, typeMultipart}
	createTypes = []string{typeForm, typeMultipart, typeXML, typeTextXML}
	xmlTypes    = []string{typeXML, typeTextXML}
)

// routes maps call names to their handlers.
var routes = map[string]route{
	bbb.CallCreate:                 {get: true, post: true, types: createTypes, handle: (*apiCall).create},
	bbb.CallJoin:                   {get: true, handle: (*apiCall).join},
	bbb.CallEnd:                    {get: true, post: true, types: formTypes, handle: (*apiCall).end},
	bbb.CallIsMeetingRunning:       {get: true, post: true, types: formTypes, handle: (*apiCall).isMeetingRunning},
	bbb.CallGetMeetingInfo:         {get: true, post: true, types: formTypes, handle: (*apiCall).getMeetingInfo},
	bbb.CallGetMeetings:            {get: true, post: true, types: formTypes, handle: (*apiCall).getMeetings},
	bbb.CallInsertDocument:         {post: true, types: xmlTypes, needBody: true, handle: (*apiCall).insertDocument},
	bbb.CallSendChatMessage:        {get: true, post: true, types: formTypes, handle: (*apiCall).sendChatMessage},
	bbb.CallGetRecordings:          {get: true, post: true, types: formTypes, handle: (*apiCall).getRecordings},
	bbb.CallPublishRecordings:      {get: true, post: true, types: formTypes, handle: (*apiCall).publishRecordings},
	bbb.CallUpdateRecordings:       {get: true, post: true, types: formTypes, handle: (*apiCall).updateRecordings},
	bbb.CallDeleteRecordings:       {get: true, post: true, types: formTypes, handle: (*apiCall).deleteRecordings},
	bbb.CallGetRecordingTextTracks: {get: true, post: true, types: formTypes, json: true, handle: (*apiCall).getRecordingTextTracks},
	bbb.CallPutRecordingTextTrack:  {post: true, types: []string{typeMultipart}, needBody: true, json: true, handle: (*apiCall).putRecordingTextTrack},
	bbb.CallHooksCreate:            {get: true, handle: (*apiCall).hooksCreate},
	bbb.CallHooksDestroy:           {get: true, handle: (*apiCall).hooksDestroy},
	bbb.CallHooksList:              {get: true, handle: (*apiCall).hooksList},
}

// apiCall is one API request being answered.
type apiCall struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	name  string
	route route
	// params are the decoded parameters: URL query, then body fields.
	params url.Values
	// bodyParams are the fields of a form or multipart body.
	bodyParams url.Values
	body       []byte
	mediaType  string
	files      map[string][]byte
}

// get returns the first value of a parameter, "" when absent.
func (c *apiCall) get(key string) string { return c.params.Get(key) }

// has reports whether a parameter was sent, even empty.
func (c *apiCall) has(key string) bool { return c.params.Has(key) }

func (c *apiCall) xml(body []byte) { bbb.WriteXML(c.w, body) }

// fail answers an error in the form the call uses: a redirect or XML for
// join, JSON for text tracks, XML otherwise.
func (c *apiCall) fail(e *bbb.Error) {
	switch {
	case c.route.json:
		writeJSONError(c.w, e)
	case c.name == bbb.CallJoin:
		c.joinFail(e)
	default:
		writeError(c.w, e)
	}
}

// ServeHTTP serves the API under /bigbluebutton/api, the html5client
// landing page and the playback pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if len(r.RequestURI) > maxRequestLine {
		// nginx in front of bbb-web refuses longer request lines
		// (large_client_header_buffers 8k), as Tomcat would.
		http.Error(w, "414 Request-URI Too Large", http.StatusRequestURITooLong)
		return
	}
	switch {
	case p == APIPath || strings.HasPrefix(p, APIPath+"/"):
		// nginx merges slashes: …/api//create is create.
		s.serveAPI(w, r, strings.TrimLeft(strings.TrimPrefix(p, APIPath), "/"))
	case p == "/html5client/join":
		s.serveClient(w, r)
	case strings.HasPrefix(p, playbackPath):
		s.servePlayback(w, r)
	case p == "/":
		s.serveIndex(w)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, call string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return
	}
	if len(body) > maxBody {
		writeErrorStatus(w, http.StatusRequestEntityTooLarge, errBodyTooLarge)
		return
	}
	ct := r.Header.Get("Content-Type")
	mt, mparams, _ := mime.ParseMediaType(ct)
	c := &apiCall{s: s, w: w, r: r, name: call, body: body, mediaType: mt}
	c.params, _ = parseQuery(r.URL.RawQuery)
	if r.Method == http.MethodPost && len(body) > 0 {
		switch mt {
		case typeForm:
			c.bodyParams, _ = parseQuery(string(body))
		case typeMultipart:
			c.bodyParams, c.files = parseMultipart(body, mparams["boundary"])
		}
		for k, vs := range c.bodyParams {
			c.params[k] = append(c.params[k], vs...)
		}
	}
	if vs := c.params["meetingID"]; len(vs) > 0 && meetingCalls[call] {
		vs[0] = javaStrip(vs[0])
	}
	s.record(Request{
		Method:      r.Method,
		Call:        call,
		RawQuery:    r.URL.RawQuery,
		ContentType: ct,
		Body:        bytes.Clone(body),
		Query:       cloneValues(c.params),
	})
	if !s.misbehave(w, r, call) {
		return
	}
	if call == "" {
		bbb.WriteXML(w, s.versionXML())
		return
	}
	rt, ok := routes[call]
	if !ok {
		writeError(w, errUnsupported)
		return
	}
	c.route = rt
	switch {
	case r.Method == http.MethodGet && rt.get, r.Method == http.MethodPost && rt.post:
	default:
		// Not c.fail: a POST join is refused in XML, not redirected.
		if rt.json {
			writeJSONError(w, errUnsupported)
		} else {
			writeError(w, errUnsupported)
		}
		return
	}
	if r.Method == http.MethodPost && (len(body) > 0 || rt.needBody) && !slices.Contains(rt.types, mt) {
		c.fail(errContentType)
		return
	}
	if err := c.verify(); err != nil {
		e := checksumFailure(err)
		if strings.HasPrefix(call, "hooks/") {
			e.Message = "You did not pass the checksum security check."
		}
		c.fail(e)
		return
	}
	if !decodes(r.URL.RawQuery) || (mt == typeForm && !decodes(string(body))) {
		c.fail(errNotRecognized)
		return
	}
	if after := s.afterMode(call); after != ModeNormal {
		s.handleThenFail(c, after)
		return
	}
	rt.handle(c)
}

// verify checks the checksum with the fake's own rule (checksum.go). Only
// the URL query is hashed. For a POST whose parameters all came in a form
// body (empty query), both the documented H(call+""+secret) and the sorted
// BBB 2.4–2.7 fallback are accepted; the checksum may then be in the body
// too.
func (c *apiCall) verify() error {
	c.s.mu.Lock()
	algs := c.s.algs
	if strings.HasPrefix(c.name, "hooks/") {
		// bbb-webhooks checks its own calls: 3.x takes any algorithm by
		// the checksum's length, 2.6 SHA-1 only.
		algs = bbb.AllAlgorithms
		if c.s.hooksFlavour == Webhooks26 {
			algs = bbb.SHA1
		}
	}
	c.s.mu.Unlock()
	raw := c.r.URL.RawQuery
	if c.bodyParams == nil {
		_, err := verifyQuery(c.name, raw, c.s.secret, algs)
		return err
	}
	raw = withoutControl(raw)
	cs := checksumParam(raw)
	q := raw
	if cs != "" {
		q = cutChecksum(raw, cs)
	}
	query, _ := parseQuery(q)
	for k := range c.bodyParams {
		if k != "checksum" && query.Has(k) {
			return errChecksumsDiffer // same parameter in URL and body
		}
	}
	if q != "" {
		return checkChecksum(c.name, q, cs, c.s.secret, algs)
	}
	if cs == "" {
		cs = c.bodyParams.Get("checksum")
	}
	if err := checkChecksum(c.name, "", cs, c.s.secret, algs); err == nil || cs == "" {
		return err
	}
	return checkChecksum(c.name, javaFormQuery(c.bodyParams), cs, c.s.secret, algs)
}

// parseQuery decodes a raw query or form body as bbb-web reads it: Tomcat
// splits at '&' only and percent-decodes names and values as UTF-8 ('+'
// is a space, malformed bytes become U+FFFD), dropping pairs without a
// name; BBB's ValidationService then strips control characters (\p{Cc})
// from names and values. Pairs that do not decode are skipped (Tomcat
// drops them) and reported by ok=false.
func parseQuery(raw string) (v url.Values, ok bool) {
	v = url.Values{}
	ok = true
	for rest := raw; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			ok = false
			continue
		}
		if dk = servletString(dk); dk == "" {
			continue
		}
		v[dk] = append(v[dk], servletString(dv))
	}
	return v, ok
}

// servletString is a decoded name or value as BBB holds it: malformed
// UTF-8 replaced, as Java's decoder does, and control characters removed.
func servletString(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}

// meetingCalls are the calls whose meetingID bbb-web trims
// (StringUtils.strip) before using it.
var meetingCalls = map[string]bool{
	bbb.CallCreate: true, bbb.CallJoin: true, bbb.CallEnd: true, bbb.CallIsMeetingRunning: true,
	bbb.CallGetMeetingInfo: true, bbb.CallInsertDocument: true, bbb.CallSendChatMessage: true,
}

// javaStrip trims what Java's Character.isWhitespace calls space, as
// StringUtils.strip does: Unicode space separators but the no-break ones,
// line and paragraph separators, \t \n \v \f \r and U+001C..U+001F.
func javaStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case '\u00a0', '\u2007', '\u202f':
			return false
		case '\t', '\n', '\v', '\f', '\r', '\u001c', '\u001d', '\u001e', '\u001f':
			return true
		}
		return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
	})
}

// decodes reports whether every pair of raw percent-decodes; BBB answers
// validationError when one does not.
func decodes(raw string) bool {
	_, ok := parseQuery(raw)
	return ok
}

// parseMultipart reads a multipart body: text fields as parameters, file
// fields (with a filename) as files.
func parseMultipart(body []byte, boundary string) (url.Values, map[string][]byte) {
	params := url.Values{}
	files := map[string][]byte{}
	if boundary == "" {
		return params, files
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		data, err := io.ReadAll(part)
		if err != nil {
			break
		}
		if part.FileName() != "" {
			files[part.FormName()] = data
		} else if part.FormName() != "" {
			params.Add(part.FormName(), string(data))
		}
	}
	return params, files
}

// versionXML is the API root document, BBB 3.0 form. bbbVersion is empty
// unless SetVersion revealed one (allowRevealOfBBBVersion).
func (s *Server) versionXML() []byte {
	s.mu.Lock()
	api, bbbVersion := s.apiVersion, s.bbbVersion
	s.mu.Unlock()
	if api == "" {
		api = "2.0"
	}
	d := newResponse(bbb.Success)
	d.el("version", api)
	d.el("apiVersion", api)
	d.el("bbbVersion", bbbVersion)
	d.el("graphqlWebsocketUrl", "ws://"+s.addr+"/graphql")
	d.el("graphqlApiUrl", "http://"+s.addr+"/api/rest")
	return d.bytes()
}

// SetVersion sets what the API root reports: the API version (version and
// apiVersion, "2.0" by default) and the BBB release (bbbVersion, shown when
// allowRevealOfBBBVersion is on; "" hides it).
func (s *Server) SetVersion(apiVersion, bbbVersion string) {
	s.mu.Lock()
	s.apiVersion, s.bbbVersion = apiVersion, bbbVersion
	s.mu.Unlock()
}
