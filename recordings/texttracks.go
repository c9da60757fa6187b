package recordings

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Text tracks (captions and subtitles) of stored recordings, as
// getRecordingTextTracks lists them and putRecordingTextTrack adds them.
//
// BBB keeps a recording's tracks in a folder of their own
// (/var/bigbluebutton/captions/<recordID>/: captions.json and one
// <kind>_<lang>.vtt per track) and copies them into the published
// presentation (its captions.json of {locale, localeName} and
// caption_<locale>.vtt files, which the player reads). tinyscale keeps the
// uploaded tracks the same way: the track files as one more immutable
// version, of the reserved format "captions" (served at
// TINYSCALE_URL/captions/<recordID>/<kind>_<lang>.vtt), and the list in
// the index entry. An upload writes a whole new version (the older tracks
// copied with the new one) and then points the index at it, so a crash
// leaves the old list or the new one, never half of one.

// CaptionsFormat is the reserved format name the uploaded text tracks are
// stored under; no recording format may be pushed under it.
const CaptionsFormat = "captions"

// TextTrack is one track as getRecordingTextTracks answers it, fields in
// BBB's order.
type TextTrack struct {
	Href   string `json:"href"`
	Kind   string `json:"kind"`
	Label  string `json:"label"`
	Lang   string `json:"lang"`
	Source string `json:"source"`
}

// trackData is an uploaded track in the index entry.
type trackData struct {
	Kind   string `json:"kind"`
	Lang   string `json:"lang"`
	Label  string `json:"label"`
	Source string `json:"source"`
}

func (t trackData) file() string { return t.Kind + "_" + t.Lang + ".vtt" }

// langRE is what a track's lang may be: a BCP-47 tag (letters, then
// subtags of letters and digits), which also makes it a safe file name.
var langRE = regexp.MustCompile(`^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8}){0,4}$`)

// ValidTrackLang reports whether lang can name a text track.
func ValidTrackLang(lang string) bool { return langRE.MatchString(lang) }

// ValidTrackKind reports whether kind is one BBB accepts.
func ValidTrackKind(kind string) bool { return kind == "subtitles" || kind == "captions" }

// TextTracks lists the tenant's recording's tracks: those uploaded to
// tinyscale, then those its presentation was published with (BBB's live
// captions, in the presentation's captions.json) unless an upload of the
// same kind and language replaced them.
func (l *Library) TextTracks(tenantName, recordID string) ([]TextTrack, error) {
	r, ok := l.Get(tenantName, recordID)
	if !ok {
		return nil, ErrNotFound
	}
	base := strings.TrimSuffix(l.BaseURL(tenantName), "/")
	out := []TextTrack{}
	seen := map[string]bool{}
	for _, t := range r.data.Tracks {
		seen[t.Kind+"_"+t.Lang] = true
		out = append(out, TextTrack{Href: base + "/" + CaptionsFormat + "/" + recordID + "/" + t.file(),
			Kind: t.Kind, Label: t.Label, Lang: t.Lang, Source: t.Source})
	}
	if i := r.data.format("presentation"); i >= 0 {
		for _, c := range l.presentationCaptions(Key{r.Tenant, recordID, "presentation", r.data.Formats[i].Version}) {
			if seen["captions_"+c.Locale] {
				continue
			}
			out = append(out, TextTrack{Href: base + "/presentation/" + recordID + "/caption_" + c.Locale + ".vtt",
				Kind: "captions", Label: c.LocaleName, Lang: c.Locale, Source: "live"})
		}
	}
	return out, nil
}

type presentationCaption struct {
	Locale     string `json:"locale"`
	LocaleName string `json:"localeName"`
}

// presentationCaptions reads a presentation's captions.json; a missing or
// unreadable one is no captions.
func (l *Library) presentationCaptions(k Key) []presentationCaption {
	f, err := l.Store.Open(k, "captions.json")
	if err != nil {
		return nil
	}
	defer f.Close()
	var list []presentationCaption
	if json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&list) != nil {
		return nil
	}
	return slices.DeleteFunc(list, func(c presentationCaption) bool { return !ValidTrackLang(c.Locale) })
}

// PutTextTrack stores an uploaded track of the tenant's recording (kind
// and lang already checked with ValidTrackKind and ValidTrackLang; label
// empty is lang), replacing one of the same kind and language. It returns
// once the track is durable and listed; ErrNotFound when the tenant has no
// such stored recording.
func (l *Library) PutTextTrack(ctx context.Context, tenantName, recordID, kind, lang, label string, vtt []byte) error {
	if !ValidTrackKind(kind) || !ValidTrackLang(lang) {
		return fmt.Errorf("%w: text track kind %q or lang %q", ErrBadUpload, kind, lang)
	}
	if label == "" {
		label = lang
	}
	mu := l.lock(recordID)
	mu.Lock()
	defer mu.Unlock()
	e, ok := l.Index.StoredRecording(recordID)
	if !ok || e.Tenant != tenantName {
		return ErrNotFound
	}
	var data recordData
	if err := json.Unmarshal(e.Data, &data); err != nil {
		return fmt.Errorf("recordings: index entry of %s: %w", recordID, err)
	}
	nt := trackData{Kind: kind, Lang: lang, Label: label, Source: "upload"}
	keep := slices.DeleteFunc(slices.Clone(data.Tracks), func(t trackData) bool { return t.Kind == kind && t.Lang == lang })
	old := Key{e.Tenant, recordID, CaptionsFormat, data.CaptionsVersion}

	// The new version: the tracks kept, copied from the current one, and
	// the new track, streamed to Put as one tar.
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(l.writeTracks(pw, old, keep, nt.file(), vtt))
	}()
	key := Key{Tenant: e.Tenant, RecordID: recordID, Format: CaptionsFormat}
	version, err := l.Store.Put(ctx, key, pr)
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		return err
	}
	key.Version = version
	data.Tracks = append(keep, nt)
	slices.SortFunc(data.Tracks, func(a, b trackData) int { return strings.Compare(a.file(), b.file()) })
	data.CaptionsVersion = version
	raw, err := json.Marshal(data)
	if err != nil {
		l.Store.Remove(key)
		return err
	}
	e.Data, e.Updated = raw, time.Now().UTC()
	if err := l.Index.PutStoredRecording(e); err != nil {
		l.Store.Remove(key)
		return err
	}
	if old.Version != "" {
		if err := l.Store.Remove(old); err != nil {
			l.log().Warn("recordings: old text tracks not removed", "record_id", recordID, "error", err)
		}
	}
	l.log().Info("recording text track stored", "record_id", recordID, "kind", kind, "lang", lang, "tenant", e.Tenant)
	return nil
}

// writeTracks writes the tar of a captions version: the kept tracks' files
// from the old version, then the new file.
func (l *Library) writeTracks(w io.Writer, old Key, keep []trackData, name string, vtt []byte) error {
	tw := tar.NewWriter(w)
	now := time.Now()
	for _, t := range keep {
		f, err := l.Store.Open(old, t.file())
		if err != nil {
			return fmt.Errorf("recordings: text track %s of %s: %w", t.file(), old.RecordID, err)
		}
		info, err := f.Stat()
		if err == nil {
			err = tw.WriteHeader(&tar.Header{Name: t.file(), Mode: 0o644, Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg})
		}
		if err == nil {
			_, err = io.Copy(tw, f)
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(vtt)), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(vtt); err != nil {
		return err
	}
	return tw.Close()
}
