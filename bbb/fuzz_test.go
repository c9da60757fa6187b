package bbb

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// hasChecksumParam reports whether some pair of q has the key "checksum"
// (with or without '=').
func hasChecksumParam(q string) bool {
	for _, pair := range strings.Split(q, "&") {
		if k, _, _ := strings.Cut(pair, "="); k == "checksum" {
			return true
		}
	}
	return false
}

func hasControl(s string) bool { return stripControl(s) != s }

var fuzzAlgs = []Algorithm{SHA1, SHA256, SHA384, SHA512}

func addQuerySeeds(f *testing.F, add func(call, query string)) {
	for _, v := range docVectors {
		add(v.call, v.query)
		add(v.call, v.query+"&checksum="+v.want)
		add(v.call, "checksum="+v.want+"&"+v.query)
	}
	add("create", "meta_file_checksum=x&name=checksum+review")
	add("join", "checksum=&a=1")
	add("join", "a=1&&checksum")
	add("join", "a=%zz&b=\x00\n&checksum=abc&checksum=def")
	add("join", greenlightJoin)
}

// FuzzVerify: Verify never panics; whatever Sign produces verifies (when
// the query is one BBB could verify: no checksum key, no control
// characters), with the same query handed back, and is what the
// independent refVerify/refSign (independent_test.go) make of it; a changed
// secret, call, algorithm or checksum digit fails.
func FuzzVerify(f *testing.F) {
	addQuerySeeds(f, func(call, query string) { f.Add(call, query, docSecret, uint8(0)) })
	f.Fuzz(func(t *testing.T, call, query, secret string, algIdx uint8) {
		alg := fuzzAlgs[int(algIdx)%len(fuzzAlgs)]
		// Arbitrary input: no panic, and success only with a query.
		if q, err := Verify(call, query, AllAlgorithms, secret); err == nil {
			if len(q) >= len(stripControl(query)) {
				t.Fatalf("Verify(%q) passed without removing a checksum: %q", query, q)
			}
		} else if !errors.Is(err, ErrMissingChecksum) && !errors.Is(err, ErrChecksumMismatch) {
			t.Fatalf("Verify error %v", err)
		}
		if hasChecksumParam(query) || hasControl(query) {
			return
		}
		signed := Sign(alg, call, query, secret)
		if secret == "" {
			// An empty secret never verifies: BBB would turn checking off.
			if _, err := Verify(call, signed, alg, secret); !errors.Is(err, ErrChecksumMismatch) {
				t.Fatalf("empty secret: %v", err)
			}
			return
		}
		got, err := Verify(call, signed, alg, secret)
		if err != nil {
			t.Fatalf("Verify(Sign(%q)) = %v", query, err)
		}
		if got != query {
			t.Fatalf("Verify(Sign(%q)) gave query %q", query, got)
		}
		cs := Checksum(alg, call, query, secret)
		upper := strings.TrimSuffix(signed, cs) + strings.ToUpper(cs)
		if got, err := Verify(call, upper, alg, secret); err != nil || got != query {
			t.Fatalf("upper-case checksum: %q, %v", got, err)
		}
		if _, err := Verify(call, signed, alg, secret+"x"); !errors.Is(err, ErrChecksumMismatch) {
			t.Fatalf("other secret: %v", err)
		}
		if _, err := Verify(call+"x", signed, alg, secret); !errors.Is(err, ErrChecksumMismatch) {
			t.Fatalf("other call: %v", err)
		}
		if _, err := Verify(call, signed, AllAlgorithms&^alg, secret); !errors.Is(err, ErrChecksumMismatch) {
			t.Fatalf("disallowed algorithm: %v", err)
		}
		// One hex digit of the checksum changed, at a place the input
		// picks: refused (a comparison of a prefix would pass most).
		i := (len(call) + len(query) + len(secret)) % len(cs)
		bad := []byte(cs)
		bad[i] = otherHex(bad[i])
		if _, err := Verify(call, strings.TrimSuffix(signed, cs)+string(bad), alg, secret); !errors.Is(err, ErrChecksumMismatch) {
			t.Fatalf("checksum with digit %d changed: %v", i, err)
		}
		// Sign and Verify agree with the independent statement of BBB's
		// rule, not only with each other.
		if want := refSign(refHashes[int(algIdx)%len(refHashes)], call, query, secret); signed != want {
			t.Fatalf("Sign(%q) = %q, BBB's rule gives %q", query, signed, want)
		}
		if got, err := refVerify(call, signed, alg, secret); err != nil || got != query {
			t.Fatalf("BBB's rule refuses what Sign made: %q, %v", got, err)
		}
	})
}

// FuzzSplitChecksum: SplitChecksum never panics, never adds bytes, and
// undoes Sign for a query without a checksum key or control characters.
func FuzzSplitChecksum(f *testing.F) {
	addQuerySeeds(f, func(_, query string) { f.Add(query) })
	f.Fuzz(func(t *testing.T, raw string) {
		q, cs := SplitChecksum(raw)
		clean := stripControl(raw)
		if len(q) > len(clean) {
			t.Fatalf("SplitChecksum(%q) grew to %q", raw, q)
		}
		if hasControl(q) || hasControl(cs) {
			t.Fatalf("control characters left: %q %q", q, cs)
		}
		if cs != "" && !strings.Contains(clean, "checksum="+cs) {
			t.Fatalf("checksum %q not in %q", cs, clean)
		}
		if !hasChecksumParam(clean) && (q != clean || cs != "") {
			t.Fatalf("SplitChecksum(%q) = %q, %q without a checksum key", raw, q, cs)
		}
		if hasChecksumParam(raw) || hasControl(raw) {
			return
		}
		for _, alg := range fuzzAlgs {
			signed := Sign(alg, "join", raw, "s")
			back, cs := SplitChecksum(signed)
			if back != raw || cs != Checksum(alg, "join", raw, "s") {
				t.Fatalf("SplitChecksum(Sign(%q)) = %q, %q", raw, back, cs)
			}
		}
	})
}

// FuzzParseReply: ParseReply never panics; for an accepted document the
// return code is set and every item's Raw is a sub-slice of the input, from
// '<' to '>', that parses on its own as an element named like the item.
func FuzzParseReply(f *testing.F) {
	for _, name := range []string{"getMeetings.xml", "getRecordings.xml"} {
		f.Add(readTestdata(f, name))
	}
	for _, s := range []string{
		noMeetingsXML, createXML, checksumErrorXML,
		"<response><returncode>SUCCESS</returncode><meetings><meeting/><meeting></meeting><x/></meetings></response>",
		"<response><returncode>SUCCESS</returncode><recordings><recording><recordID>a</recordID><recordID>b</recordID><startTime><b>1</b>2</startTime></recording></recordings></response>",
		"<response><returncode>SUCCESS</returncode></response>garbage",
		"<!DOCTYPE html><html></html>",
		`{"response":{"returncode":"SUCCESS"}}`,
		"",
	} {
		f.Add([]byte(s))
	}
	f.Add(ListXML("meetings", [][]byte{[]byte("<meeting><meetingID>a</meetingID></meeting>")}, "", "", []byte("<x>1</x>")))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, spec := range []*ListSpec{nil, meetingsSpec, recordingsSpec, {List: "meetings", Item: "meeting"},
			{List: "meetings", Item: "meeting", Fields: []string{"metadata/bbb-origin", "meetingID", "metadata", "attendees/attendee"}}} {
			orig := bytes.Clone(body)
			r, err := ParseReply(body, spec)
			if !bytes.Equal(orig, body) {
				t.Fatal("ParseReply changed its input")
			}
			if err != nil {
				if !errors.Is(err, ErrNotBBB) || r != nil {
					t.Fatalf("ParseReply = %+v, %v", r, err)
				}
				continue
			}
			if r.ReturnCode == "" {
				t.Fatal("accepted without a returncode")
			}
			if spec == nil && (r.HasList || len(r.Items) > 0) {
				t.Fatal("list without a spec")
			}
			for _, it := range r.Items {
				if !isSubslice(body, it.Raw) {
					t.Fatalf("Raw %q is not a sub-slice of the input", it.Raw)
				}
				if it.Raw[0] != '<' || it.Raw[len(it.Raw)-1] != '>' {
					t.Fatalf("Raw %q does not run from '<' to '>'", it.Raw)
				}
				if len(it.Fields) != len(spec.Fields) {
					t.Fatalf("%d fields, want %d", len(it.Fields), len(spec.Fields))
				}
				// Wrapped again, the item is a valid one-item list.
				again := ListXML(spec.List, [][]byte{it.Raw}, "", "", nil)
				r2, err := ParseReply(again, spec)
				if err != nil || len(r2.Items) != 1 || !bytes.Equal(r2.Items[0].Raw, it.Raw) {
					t.Fatalf("item %q does not stand alone: %v", it.Raw, err)
				}
				for i := range it.Fields {
					if r2.Items[0].Fields[i] != it.Fields[i] {
						t.Fatalf("field %d %q became %q", i, it.Fields[i], r2.Items[0].Fields[i])
					}
				}
			}
		}
	})
}

// FuzzReplaceParam: the key ends up exactly once with value, decoding back
// to it, and every other pair keeps its raw bytes and order.
func FuzzReplaceParam(f *testing.F) {
	f.Add(docQuery, "meetingID", "new id")
	f.Add("a=1&k=1&b=2&k=2", "k", "Ünï&=+%")
	f.Add("", "checksum", "")
	f.Add("a=1&&b=%zz&", "k", "v")
	f.Add(greenlightJoin, "meetingID", "x")
	f.Fuzz(func(t *testing.T, raw, key, value string) {
		out := ReplaceParam(raw, key, value)
		if key == "" || url.QueryEscape(key) != key {
			return // not a parameter name: keys are used as given, unencoded
		}
		n := 0
		for _, pair := range strings.Split(out, "&") {
			if k, _, _ := strings.Cut(pair, "="); k == key {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("ReplaceParam(%q, %q, %q) = %q has the key %d times", raw, key, value, out, n)
		}
		v, ok, err := RawParam(out, key)
		if !ok || err != nil || v != value {
			t.Fatalf("RawParam(%q) = %q, %v, %v; want %q", out, v, ok, err, value)
		}
		if want := url.QueryEscape(value); !strings.Contains(out, key+"="+want) {
			t.Fatalf("value not encoded as QueryEscape: %q", out)
		}
		if RemoveParams(out, key) != RemoveParams(raw, key) {
			t.Fatalf("other pairs changed: %q -> %q", raw, out)
		}
		if ValidQuery(raw) && !ValidQuery(out) {
			t.Fatalf("ReplaceParam made %q invalid: %q", raw, out)
		}
	})
}

// FuzzSplice: splicing the items of any accepted getMeetings answer gives
// a document that parses back to the same items, byte for byte, and
// ReplaceEveryText never breaks it.
func FuzzSplice(f *testing.F) {
	f.Add([]byte("<response><returncode>SUCCESS</returncode><meetings><meeting><meetingID>a&amp;b</meetingID></meeting><meeting><meetingID><![CDATA[x]]></meetingID></meeting></meetings></response>"))
	f.Add([]byte("<response><returncode>SUCCESS</returncode><meetings/><messageKey>noMeetings</messageKey></response>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		spec := &ListSpec{List: "meetings", Item: "meeting", Fields: []string{"meetingID"}}
		r, err := ParseReply(doc, spec)
		if err != nil {
			return
		}
		var items [][]byte
		for _, it := range r.Items {
			items = append(items, it.Raw)
		}
		out := ListXML("meetings", items, "noMeetings", "no meetings were found on this server", nil)
		back, err := ParseReply(out, spec)
		if err != nil {
			t.Fatalf("spliced document does not parse: %v\n%s", err, out)
		}
		if len(back.Items) != len(items) {
			t.Fatalf("%d items back, want %d", len(back.Items), len(items))
		}
		for i := range items {
			if string(back.Items[i].Raw) != string(items[i]) || back.Items[i].Fields[0] != r.Items[i].Fields[0] {
				t.Fatalf("item %d changed", i)
			}
		}
		renamed := ReplaceEveryText(out, func(s string) (string, bool) { return "x&<y>" + s, true })
		if _, err := ParseReply(renamed, spec); err != nil {
			t.Fatalf("ReplaceEveryText broke the document: %v\n%s", err, renamed)
		}
	})
}
