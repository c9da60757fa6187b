package bbb

import (
	"slices"
	"strings"
	"testing"
)

func TestParseParamsReadsAsTheServlet(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want Params
	}{
		{"meeting%49D=x", Params{{"meetingID", "x"}}},
		{"a+b=c+d&e%20f=g%20h", Params{{"a b", "c d"}, {"e f", "g h"}}},
		{"meeting%00ID=x", Params{{"meetingID", "x"}}},                            // control characters leave names
		{"name=a%0Ab%7Fc%C2%85d", Params{{"name", "abcd"}}},                       // and values: C0, DEL, C1 (NEL)
		{"&&a=1&&b", Params{{"a", "1"}, {"b", ""}}},                               // empty pairs skipped, bare name is empty
		{"=x&%00=y&a=1", Params{{"a", "1"}}},                                      // pairs without a name are dropped
		{"a=1&a=2", Params{{"a", "1"}, {"a", "2"}}},                               // every occurrence kept
		{"id=%FF%00", Params{{"id", "\xff\x00"}}},                                 // not UTF-8: left exactly as decoded
		{"x=%E2%80%85y", Params{{"x", "\u2005y"}}},                                // whitespace is no control
		{"checksum=a&checks%75m=b", Params{{"checksum", "a"}, {"checksum", "b"}}}, // left to the caller to drop
	} {
		got, e := ParseParams(tt.raw)
		if e != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseParams(%q) = %q, %v; want %q", tt.raw, got, e, tt.want)
		}
	}
	for _, raw := range []string{"a=%zz", "a%2=1", "a=%"} {
		if _, e := ParseParams(raw); e == nil || e.Key != "validationError" {
			t.Errorf("ParseParams(%q) = %v, want validationError", raw, e)
		}
	}
}

func TestParamsFirstWinsAndEncodeRoundTrips(t *testing.T) {
	p, _ := ParseParams("meetingID=a&meeting%49D=b&name=x%26y%3Dz")
	if p.Get("meetingID") != "a" {
		t.Errorf("first of repeated names: %q, want a", p.Get("meetingID"))
	}
	back, _ := ParseParams(p.Encode())
	if !slices.Equal(back, p) {
		t.Errorf("Encode does not read back: %q → %q", p, back)
	}
	p.Set("meetingID", "t~a")
	if got := p.Encode(); got != "meetingID=t~a&name=x%26y%3Dz" {
		t.Errorf("Set leaves %q", got)
	}
	p.Del("name")
	p.Add("z", "1")
	if got := p.Encode(); got != "meetingID=t~a&z=1" {
		t.Errorf("Del/Add leave %q", got)
	}
}

func TestRepeatedFoldsWhatBBBFolds(t *testing.T) {
	interpreted := func(k string) bool { return k == "meetingID" || k == "meta_endcallbackurl" }
	for _, tt := range []struct {
		raw string
		key string
	}{
		{"meetingID=a&meeting%49D=b", "meetingID"},
		{"meetingID=a&meetingID=a", "meetingID"},
		{"meta_endCallbackUrl=a&meta_ENDCALLBACKURL=b", "meta_endcallbackurl"},
		{"meetingID=a&MeetingID=b", ""}, // BBB's names are case-sensitive
		{"x=1&x=2", ""},                 // not interpreted: BBB's first-wins is harmless
	} {
		p, _ := ParseParams(tt.raw)
		key, dup := p.Repeated(interpreted)
		if (tt.key != "") != dup || key != tt.key {
			t.Errorf("Repeated(%q) = %q, %v; want %q", tt.raw, key, dup, tt.key)
		}
	}
}

func TestMeetingIDAsBBBReadsIt(t *testing.T) {
	for _, tt := range []struct {
		raw, want, key string
	}{
		{"meetingID=%20uni-b~room1%09", "uni-b~room1", ""},
		{"meetingID=%E3%80%80x%C2%A0", "x\u00a0", ""}, // ideographic space strips, NBSP does not (Java)
		{"meetingID=%FFx", "", "validationError"},
		{"meetingID=" + strings.Repeat("a", 256), strings.Repeat("a", 256), ""},
		{"meetingID=" + strings.Repeat("a", 257), "", "validationError"},
		{"meetingID=" + strings.Repeat("%F0%9F%98%80", 129), "", "validationError"}, // 258 UTF-16 units
	} {
		p, _ := ParseParams(tt.raw)
		id, e := p.MeetingID()
		key := ""
		if e != nil {
			key = e.Key
		}
		if id != tt.want || key != tt.key {
			t.Errorf("MeetingID(%.40q) = %.40q, %q; want %.40q, %q", tt.raw, id, key, tt.want, tt.key)
		}
		if e == nil && p.Get("meetingID") != id {
			t.Errorf("MeetingID(%.40q) leaves %q to forward, want %q", tt.raw, p.Get("meetingID"), id)
		}
	}
}

func TestIDListDecodesTwice(t *testing.T) {
	for _, tt := range []struct {
		value string
		want  []string
		ok    bool
	}{
		{"a,b", []string{"a", "b"}, true},
		{"a%2Cb", []string{"a", "b"}, true}, // BBB's decodeIds decodes again
		{"a+b", []string{"a b"}, true},
		{"", nil, true},
		{"a%zz", nil, false},
	} {
		got, ok := IDList(tt.value)
		if ok != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("IDList(%q) = %q, %v; want %q, %v", tt.value, got, ok, tt.want, tt.ok)
		}
		if ok && len(got) > 0 {
			if back, _ := IDList(EncodeIDList(got)); !slices.Equal(back, got) {
				t.Errorf("EncodeIDList(%q) reads back as %q", got, back)
			}
		}
	}
}
