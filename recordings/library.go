package recordings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tinyscale/tinyscale/state"
	"github.com/tinyscale/tinyscale/tenant"
)

// Library is the recording store as tinyscale uses it: files in a Store,
// the index in the state, tenants told apart by their meeting IDs.
type Library struct {
	Store Store
	Index state.RecordingIndex
	// Tenants says whose a recording is, from the meeting ID BBB saw.
	Tenants *tenant.Registry
	// PublicURL is TINYSCALE_URL: every playback URL is under it.
	PublicURL string
	// OnStored, if set, is told of each recording format newly stored
	// (the recording-ready callback waits for it).
	OnStored func(tenant, recordID string)
	Log      *slog.Logger

	seed  maphash.Seed
	once  sync.Once
	locks [64]sync.Mutex
}

func (l *Library) lock(recordID string) *sync.Mutex {
	l.once.Do(func() { l.seed = maphash.MakeSeed() })
	return &l.locks[maphash.String(l.seed, recordID)%uint64(len(l.locks))]
}

func (l *Library) log() *slog.Logger {
	if l.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Log
}

// Stored is the outcome of a push.
type Stored struct {
	Tenant, RecordID, Format string
	// Unchanged is true when the same files were stored already.
	Unchanged bool
}

// Push stores one format folder of a recording, read as a tar stream, and
// indexes it. origin is the server it came from ("" for an import). It
// returns once the files and the index are durable. The same folder
// pushed again changes nothing.
func (l *Library) Push(ctx context.Context, origin, recordID, format string, body io.Reader) (Stored, error) {
	out := Stored{RecordID: recordID, Format: format}
	if !ValidRecordID(recordID) || !ValidFormat(format) || format == CaptionsFormat {
		return out, fmt.Errorf("%w: record ID %q or format %q is not valid", ErrBadUpload, recordID, format)
	}
	// Files are written under a staging tenant name, then moved: the
	// tenant is only known from metadata.xml, inside the upload.
	h := sha256.New()
	staging := Key{Tenant: "staging", RecordID: recordID, Format: format}
	version, err := l.Store.Put(ctx, staging, io.TeeReader(body, h))
	if err != nil {
		return out, err
	}
	staging.Version = version
	sum := hex.EncodeToString(h.Sum(nil))
	keep := false
	defer func() {
		if !keep {
			l.Store.Remove(staging)
		}
	}()
	md, err := l.readMetadata(staging)
	if err != nil {
		return out, err
	}
	if md.ID != recordID {
		return out, fmt.Errorf("%w: metadata.xml is of recording %q, not %q", ErrBadUpload, md.ID, recordID)
	}
	if md.Playback.Format != format {
		return out, fmt.Errorf("%w: metadata.xml is of format %q, not %q", ErrBadUpload, md.Playback.Format, format)
	}
	owner, localID := l.Tenants.OwnerOf(md.Meeting.ExternalID)
	if l.Tenants.Get(owner.Name) == nil {
		return out, fmt.Errorf("%w: meeting %q belongs to a tenant no longer configured", ErrBadUpload, md.Meeting.ExternalID)
	}
	out.Tenant = owner.Name
	final := Key{owner.Name, recordID, format, version}

	mu := l.lock(recordID)
	mu.Lock()
	defer mu.Unlock()
	old, had := l.Index.StoredRecording(recordID)
	if had && old.Tenant != owner.Name {
		return out, fmt.Errorf("%w: recording %s is stored for another tenant", ErrBadUpload, recordID)
	}
	var data recordData
	if had {
		if err := json.Unmarshal(old.Data, &data); err != nil {
			return out, fmt.Errorf("recordings: index entry of %s: %w", recordID, err)
		}
		if i := data.format(format); i >= 0 && data.Formats[i].SHA256 == sum {
			out.Unchanged = true
			return out, nil // the same upload again: the stored one stays
		}
	}
	if err := l.Store.Move(staging, final); err != nil {
		return out, err
	}
	staging = final // what to remove if the index write fails
	fd := formatData{
		Type: format, Version: version, Link: pathOf(md.Playback.Link),
		ProcessingTime: num(md.Playback.ProcessingTime), Duration: num(md.Playback.Duration), Size: num(md.Playback.Size),
		SHA256: sum, Origin: origin,
	}
	for _, im := range md.Playback.Images {
		fd.Images = append(fd.Images, imageData{Width: im.Width, Height: im.Height, Alt: im.Alt, Path: pathOf(im.URL)})
	}
	entry := old
	if !had {
		entry = state.StoredRecording{RecordID: recordID, Tenant: owner.Name, MeetingID: localID,
			State: "published", StartTime: num(md.StartTime), Meta: map[string]string{}}
		if md.State == "unpublished" || md.Published == "false" {
			entry.State = "unpublished"
		}
		for _, it := range md.Meta.Items {
			entry.Meta[it.XMLName.Local] = it.Value
		}
		// BBB's own metadata echoes the meeting ID it saw: a tenant sees
		// its own.
		if v, ok := entry.Meta["meetingId"]; ok && v == md.Meeting.ExternalID {
			entry.Meta["meetingId"] = localID
		}
		data = recordData{InternalMeetingID: md.Meeting.ID, BBBMeetingID: md.Meeting.ExternalID, Name: md.Meeting.Name,
			IsBreakout: md.Meeting.Breakout == "true", BreakoutRooms: md.BreakoutRooms,
			EndTime: num(md.EndTime), Participants: num(md.Participants), RawSize: num(md.RawSize), Origin: origin}
		if b := md.Breakout; b != nil && b.ParentMeetingID != "" {
			data.Breakout = &breakoutInfo{ParentID: b.ParentMeetingID, Sequence: b.Sequence, FreeJoin: b.FreeJoin}
		}
	} else {
		entry.Meta = maps.Clone(entry.Meta)
	}
	var replaced *formatData
	if i := data.format(format); i >= 0 {
		prev := data.Formats[i]
		replaced = &prev
		data.Formats[i] = fd
	} else {
		data.Formats = append(data.Formats, fd)
		slices.SortFunc(data.Formats, func(a, b formatData) int { return strings.Compare(a.Type, b.Type) })
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return out, err
	}
	entry.Data, entry.Updated = raw, time.Now().UTC()
	if err := l.Index.PutStoredRecording(entry); err != nil {
		return out, err
	}
	keep = true
	if replaced != nil {
		if err := l.Store.Remove(Key{owner.Name, recordID, format, replaced.Version}); err != nil {
			l.log().Warn("recordings: old version not removed", "record_id", recordID, "format", format, "error", err)
		}
	}
	l.log().Info("recording stored", "record_id", recordID, "format", format, "tenant", owner.Name, "origin", origin)
	if l.OnStored != nil {
		l.OnStored(owner.Name, recordID)
	}
	return out, nil
}

func (d *recordData) format(t string) int {
	return slices.IndexFunc(d.Formats, func(f formatData) bool { return f.Type == t })
}

func (l *Library) readMetadata(k Key) (*metadataFile, error) {
	f, err := l.Store.Open(k, "metadata.xml")
	if err != nil {
		return nil, fmt.Errorf("%w: the folder has no metadata.xml", ErrBadUpload)
	}
	defer f.Close()
	return parseMetadata(f)
}

// Recording is a stored recording as the gateway and the admin API see it.
type Recording struct {
	state.StoredRecording
	data recordData
}

// Formats names the recording's stored formats.
func (r *Recording) Formats() []string {
	out := make([]string, len(r.data.Formats))
	for i, f := range r.data.Formats {
		out[i] = f.Type
	}
	return out
}

// Origin is the server the recording was first pushed from.
func (r *Recording) Origin() string { return r.data.Origin }

// Get returns a stored recording of the tenant.
func (l *Library) Get(tenantName, recordID string) (*Recording, bool) {
	e, ok := l.Index.StoredRecording(recordID)
	if !ok || e.Tenant != tenantName {
		return nil, false
	}
	return decode(e)
}

// Lookup returns a stored recording whoever's it is (for the operator).
func (l *Library) Lookup(recordID string) (*Recording, bool) {
	e, ok := l.Index.StoredRecording(recordID)
	if !ok {
		return nil, false
	}
	return decode(e)
}

func decode(e state.StoredRecording) (*Recording, bool) {
	r := &Recording{StoredRecording: e}
	if json.Unmarshal(e.Data, &r.data) != nil {
		return nil, false
	}
	return r, true
}

// Has reports whether the index holds recordID, for any tenant: a
// recording stored here is listed from here only, never again from its
// origin.
func (l *Library) Has(recordID string) bool {
	_, ok := l.Index.StoredRecording(recordID)
	return ok
}

// SetState publishes, unpublishes or deletes (BBB's deleted state) the
// tenant's recordings among ids and returns how many it found. A deleted
// recording is not published again, as on BBB.
func (l *Library) SetState(tenantName string, ids []string, st string) (int, error) {
	return l.each(tenantName, ids, func(e *state.StoredRecording) bool {
		if e.State == "deleted" && st != "deleted" {
			return false
		}
		if e.State == st {
			return false
		}
		e.State = st
		return true
	})
}

// UpdateMeta sets metadata (meta_x=v) and removes it (meta_x=) on the
// tenant's recordings among ids, as updateRecordings does.
func (l *Library) UpdateMeta(tenantName string, ids []string, meta map[string]string) (int, error) {
	return l.each(tenantName, ids, func(e *state.StoredRecording) bool {
		e.Meta = maps.Clone(e.Meta)
		if e.Meta == nil {
			e.Meta = map[string]string{}
		}
		for k, v := range meta {
			if v == "" {
				delete(e.Meta, k)
			} else {
				e.Meta[k] = v
			}
		}
		return true
	})
}

// each applies change to the tenant's stored recordings among ids and
// writes those it changed; it returns how many it found.
func (l *Library) each(tenantName string, ids []string, change func(*state.StoredRecording) bool) (int, error) {
	n := 0
	for _, id := range ids {
		mu := l.lock(id)
		mu.Lock()
		e, ok := l.Index.StoredRecording(id)
		if !ok || e.Tenant != tenantName {
			mu.Unlock()
			continue
		}
		n++
		var err error
		if change(&e) {
			e.Updated = time.Now().UTC()
			err = l.Index.PutStoredRecording(e)
		}
		mu.Unlock()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Remove deletes a recording for good: its index entry, then its files.
func (l *Library) Remove(recordID string) error {
	mu := l.lock(recordID)
	mu.Lock()
	defer mu.Unlock()
	r, ok := l.Lookup(recordID)
	if !ok {
		return ErrNotFound
	}
	if err := l.Index.DeleteStoredRecording(recordID); err != nil {
		return err
	}
	var errs []error
	for _, f := range r.data.Formats {
		errs = append(errs, l.Store.Remove(Key{r.Tenant, recordID, f.Type, f.Version}))
	}
	if r.data.CaptionsVersion != "" {
		errs = append(errs, l.Store.Remove(Key{r.Tenant, recordID, CaptionsFormat, r.data.CaptionsVersion}))
	}
	return errors.Join(errs...)
}

// Sweep removes versions that no index entry names and that are older
// than age: uploads whose index write never happened (a crash between the
// two), and versions replaced by a re-push on another instance.
func (l *Library) Sweep(age time.Duration) {
	if fs, ok := l.Store.(*FS); ok {
		fs.CleanTemp(age)
	}
	vs, err := l.Store.Versions()
	if err != nil {
		return
	}
	for _, v := range vs {
		if time.Since(v.Stored) < age {
			continue
		}
		if r, ok := l.Lookup(v.RecordID); ok {
			if i := r.data.format(v.Format); i >= 0 && r.data.Formats[i].Version == v.Version && r.Tenant == v.Tenant {
				continue
			}
			if v.Format == CaptionsFormat && r.data.CaptionsVersion == v.Version && r.Tenant == v.Tenant {
				continue
			}
		}
		l.Store.Remove(v.Key)
	}
}
