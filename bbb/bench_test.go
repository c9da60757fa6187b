package bbb

import (
	"bytes"
	"fmt"
	"testing"
)

// greenlightJoin is a join as Greenlight v3 sends it: keys sorted, form
// encoding, userdata-* settings; about 400 bytes.
const greenlightJoin = "avatarURL=https%3A%2F%2Fgreenlight.example.com%2Frails%2Factive_storage%2Fblobs%2Fredirect%2FeyJfcmFpbHMiOnsiZGF0YSI6MTIzfX0%2Favatar.png" +
	"&createTime=1715261728123&fullName=Anna-Lena+M%C3%BCller-Schmidt&meetingID=8e5d5f0b3c2a4f6e9d1b7a0c5e3f2d1a4b6c8e0f" +
	"&role=MODERATOR&userID=a1b2c3d4-e5f6-7890-abcd-ef0123456789" +
	"&userdata-bbb_override_default_locale=de&userdata-bbb_skip_check_audio=true&userdata-bbb_auto_join_audio=true"

func TestGreenlightJoinSize(t *testing.T) {
	if n := len(greenlightJoin); n < 350 || n > 450 {
		t.Errorf("greenlightJoin is %d bytes, want about 400", n)
	}
	if !ValidQuery(greenlightJoin) {
		t.Error("greenlightJoin does not decode")
	}
}

func BenchmarkVerify(b *testing.B) {
	const secret = "8cd8ef52e8e101574e400365b55e11a6"
	for _, alg := range []Algorithm{SHA1, SHA256} {
		raw := Sign(alg, CallJoin, greenlightJoin, secret)
		b.Run(alg.String(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := Verify(CallJoin, raw, AllAlgorithms, secret); err != nil {
					b.Fatal(err)
				}
			}
		})
		// A tenant with a rotated secret: the right one is tried second.
		b.Run(alg.String()+"/2secrets", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(CallJoin, raw, AllAlgorithms, "old-secret", secret); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSign(b *testing.B) {
	for _, alg := range []Algorithm{SHA1, SHA256, SHA512} {
		b.Run(alg.String(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(greenlightJoin)))
			for b.Loop() {
				if s := Sign(alg, CallJoin, greenlightJoin, "8cd8ef52e8e101574e400365b55e11a6"); len(s) <= len(greenlightJoin) {
					b.Fatal(s)
				}
			}
		})
	}
}

// meetingsDoc builds a getMeetings answer with n meetings shaped like the
// testdata one.
func meetingsDoc(tb testing.TB, n int) []byte {
	one := readTestdata(tb, "getMeetings.xml")
	start := bytes.Index(one, []byte("<meeting>"))
	end := bytes.Index(one, []byte("</meeting>")) + len("</meeting>")
	item := one[start:end]
	var b bytes.Buffer
	b.WriteString("<response>\n<returncode>SUCCESS</returncode>\n<meetings>\n")
	for i := range n {
		b.Write(bytes.Replace(item, []byte("room&amp;one"), fmt.Appendf(nil, "room-%d", i), 1))
		b.WriteByte('\n')
	}
	b.WriteString("</meetings>\n</response>\n")
	return b.Bytes()
}

func TestMeetingsDoc(t *testing.T) {
	body := meetingsDoc(t, 20)
	r, err := ParseReply(body, meetingsSpec)
	if err != nil || len(r.Items) != 20 {
		t.Fatalf("%v, %d items", err, len(r.Items))
	}
	for i, it := range r.Items {
		checkRaw(t, body, it, "meeting")
		if it.Fields[0] != fmt.Sprintf("room-%d", i) {
			t.Errorf("item %d meetingID %q", i, it.Fields[0])
		}
	}
}

func BenchmarkParseReplyGetMeetings(b *testing.B) {
	body := meetingsDoc(b, 20)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r, err := ParseReply(body, meetingsSpec)
		if err != nil || len(r.Items) != 20 {
			b.Fatal(err)
		}
	}
}

func BenchmarkListXML(b *testing.B) {
	body := meetingsDoc(b, 20)
	r, err := ParseReply(body, meetingsSpec)
	if err != nil {
		b.Fatal(err)
	}
	items := make([][]byte, len(r.Items))
	for i, it := range r.Items {
		items[i] = it.Raw
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if out := ListXML("meetings", items, "noMeetings", "no meetings were found on this server", nil); len(out) < len(body)-200 {
			b.Fatal(len(out))
		}
	}
}

// BenchmarkParams is what a join costs in the request model: the query
// read as BBB reads it, then encoded again for the backend.
func BenchmarkParams(b *testing.B) {
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseParams(greenlightJoin); err != nil {
				b.Fatal(err)
			}
		}
	})
	p, _ := ParseParams(greenlightJoin)
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Encode()
		}
	})
}
