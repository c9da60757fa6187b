// Package rectest writes realistic published BBB recording folders for
// tests and benchmarks: the files and the metadata.xml that BBB's
// presentation and video publish scripts write, in
// <dir>/<format>/<recordID>/ as /var/bigbluebutton/published lays them out.
package rectest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Recording describes the folder to write.
type Recording struct {
	// RecordID is BBB's <sha1 of the meeting>-<start ms>.
	RecordID string
	// MeetingID is the external meeting ID BBB saw (a tenant's carries
	// its prefix), Name the meeting's name.
	MeetingID, Name string
	// Format is presentation or video.
	Format string
	// Host is the BBB server's public host (bbb1.example.org).
	Host      string
	StartTime int64
	// Duration of the recording in milliseconds.
	Duration int64
	// Meta is the create call's metadata, as BBB keeps it (lower case).
	Meta map[string]string
	// MediaSize is the size of the big media file (webcams, video-0.m4v).
	MediaSize int64
	Breakout  bool
	// Captions are the presentation's live captions, locale → its name,
	// as BBB publishes them (captions.json and caption_<locale>.vtt).
	Captions map[string]string
}

// RecordID makes a BBB-shaped record ID from a seed and a start time.
func RecordID(seed string, start int64) string {
	var b [20]byte
	copy(b[:], seed)
	for i := range b {
		b[i] ^= byte(i * 31)
	}
	return fmt.Sprintf("%x-%d", b, start)
}

// Metadata is metadata.xml as BBB's publish script writes it (Ruby
// Builder, two spaces of indent).
func (r Recording) Metadata() string {
	var b strings.Builder
	esc := func(s string) string {
		return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
	}
	link := fmt.Sprintf("https://%s/playback/presentation/2.3/%s", r.Host, r.RecordID)
	if r.Format == "video" {
		link = fmt.Sprintf("https://%s/playback/video/%s/", r.Host, r.RecordID)
	}
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<recording>\n")
	fmt.Fprintf(&b, "  <id>%s</id>\n  <state>published</state>\n  <published>true</published>\n", r.RecordID)
	fmt.Fprintf(&b, "  <start_time>%d</start_time>\n  <end_time>%d</end_time>\n  <participants>3</participants>\n", r.StartTime, r.StartTime+r.Duration+1234)
	fmt.Fprintf(&b, "  <raw_size>%d</raw_size>\n", 2*r.MediaSize+4096)
	fmt.Fprintf(&b, "  <meeting id=\"%s\" externalId=\"%s\" name=\"%s\" breakout=\"%t\"/>\n", r.RecordID, esc(r.MeetingID), esc(r.Name), r.Breakout)
	b.WriteString("  <meta>\n")
	fmt.Fprintf(&b, "    <isBreakout>%t</isBreakout>\n    <meetingId>%s</meetingId>\n    <meetingName>%s</meetingName>\n", r.Breakout, esc(r.MeetingID), esc(r.Name))
	for k, v := range r.Meta {
		fmt.Fprintf(&b, "    <%s>%s</%s>\n", k, esc(v), k)
	}
	b.WriteString("  </meta>\n  <playback>\n")
	fmt.Fprintf(&b, "    <format>%s</format>\n    <link>%s</link>\n", r.Format, link)
	fmt.Fprintf(&b, "    <processing_time>7177</processing_time>\n    <duration>%d</duration>\n", r.Duration)
	if r.Format == "presentation" {
		b.WriteString("    <extensions>\n      <preview>\n        <images>\n")
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(&b, "          <image width=\"176\" height=\"136\" alt=\"Slide %d\">https://%s/presentation/%s/presentation/%s/thumbnails/thumb-%d.png</image>\n",
				i, r.Host, r.RecordID, presID(r), i)
		}
		b.WriteString("        </images>\n      </preview>\n    </extensions>\n")
	}
	fmt.Fprintf(&b, "    <size>%d</size>\n  </playback>\n</recording>\n", r.MediaSize+2048)
	return b.String()
}

func presID(r Recording) string {
	return "d2d9a672040fbde2a47a10bf6c37b6a4b5ae187f-" + fmt.Sprint(r.StartTime+15)
}

// Write writes the folder under dir/<format>/<recordID>/ and returns its
// path. The media file is random bytes (so that byte-identity is tested)
// of MediaSize.
func (r Recording) Write(dir string) (string, error) {
	if r.Format == "" {
		r.Format = "presentation"
	}
	if r.Host == "" {
		r.Host = "bbb1.example.org"
	}
	if r.Duration == 0 {
		r.Duration = 33 * 60000
	}
	if r.MediaSize == 0 {
		r.MediaSize = 64 << 10
	}
	root := filepath.Join(dir, r.Format, r.RecordID)
	files := map[string][]byte{"metadata.xml": []byte(r.Metadata())}
	var media string
	switch r.Format {
	case "presentation":
		p := "presentation/" + presID(r) + "/"
		files[p+"slide-1.png"] = pngish(900)
		files[p+"slide-2.png"] = pngish(1200)
		for i := 1; i <= 3; i++ {
			files[fmt.Sprintf("%sthumbnails/thumb-%d.png", p, i)] = pngish(300 + i)
		}
		files[p+"textfiles/slide-1.txt"] = []byte("Welcome to BigBlueButton\n")
		files["shapes.svg"] = []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" height="1200" width="1600" version="1.1"><image id="image1" in="0.0" out="120.5" xlink:href="presentation/` + presID(r) + `/slide-1.png" width="1600" height="1200" x="0" y="0" style="visibility:hidden"/></svg>`)
		files["panzooms.xml"] = []byte(`<?xml version="1.0"?><recording id="panzoom_events"><event timestamp="0.0"><viewBox>0.0 0.0 1600.0 1200.0</viewBox></event></recording>`)
		files["cursor.xml"] = []byte(`<?xml version="1.0"?><recording id="cursor_events"><event timestamp="0.0"><cursor>-1.0 -1.0</cursor></event></recording>`)
		files["deskshare.xml"] = []byte(`<?xml version="1.0"?><recording id="deskshare_events"/>`)
		files["slides_new.xml"] = []byte(`<?xml version="1.0"?><popcorn><chattimeline in="12.3" direction="down" name="Alice" message="hello &amp; welcome" target="chat"/></popcorn>`)
		files["presentation_text.json"] = []byte(`{"` + presID(r) + `":{"slide-1":"Welcome to BigBlueButton"}}`)
		files["captions.json"] = []byte("[]")
		if len(r.Captions) > 0 {
			var list []string
			for _, loc := range slices.Sorted(maps.Keys(r.Captions)) {
				list = append(list, `{"localeName":"`+r.Captions[loc]+`","locale":"`+loc+`"}`)
				files["caption_"+loc+".vtt"] = []byte("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nlive " + loc + "\n")
			}
			files["captions.json"] = []byte("[" + strings.Join(list, ",") + "]")
		}
		files["external_videos.json"] = []byte("[]")
		files["notes/notes.html"] = []byte("<html><body><p>notes</p></body></html>")
		media = "video/webcams.webm"
	case "video":
		files["index.html"] = []byte("<!DOCTYPE html><html><head><title>Recording Playback</title></head><body><video src=\"video-0.m4v\" controls></video></body></html>")
		files["captions.json"] = []byte("[]")
		media = "video-0.m4v"
	default:
		media = "audio.ogg"
	}
	for name, data := range files {
		if err := writeFile(filepath.Join(root, name), bytes.NewReader(data)); err != nil {
			return "", err
		}
	}
	if err := writeFile(filepath.Join(root, media), io.LimitReader(rand.Reader, r.MediaSize)); err != nil {
		return "", err
	}
	return root, nil
}

// pngish is a PNG signature and n bytes: enough for Content-Type tests.
func pngish(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n")
	return b
}

func writeFile(p string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
