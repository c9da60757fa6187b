package bbb

import "testing"

func TestReplaceText(t *testing.T) {
	swap := func(s string) (string, bool) {
		if s == "uni-a~a&b" {
			return "a&b", true
		}
		return "", false
	}
	for _, tc := range []struct{ in, want string }{
		{"<meeting><meetingID>uni-a~a&amp;b</meetingID><parentMeetingID>uni-a~a&amp;b</parentMeetingID></meeting>",
			"<meeting><meetingID>a&amp;b</meetingID><parentMeetingID>uni-a~a&amp;b</parentMeetingID></meeting>"},
		{"<x><meetingID>other</meetingID></x>", "<x><meetingID>other</meetingID></x>"},
		{"<meetingID>uni-a~a&#38;b</meetingID><meetingID>uni-a~a&amp;b</meetingID>", "<meetingID>a&amp;b</meetingID><meetingID>a&amp;b</meetingID>"},
		{"<meetingID>uni-a~a&amp;b", "<meetingID>uni-a~a&amp;b"},
		{"", ""},
	} {
		if got := string(ReplaceText([]byte(tc.in), "meetingID", swap)); got != tc.want {
			t.Errorf("ReplaceText(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
