// Package recordings is tinyscale's central recording store: recordings
// pushed from the BBB servers (or imported from their folders) are kept
// by tinyscale, listed by getRecordings in BBB's XML and played from
// tinyscale, so they outlive the server that recorded them.
//
// A recording format's files (one published folder, as BBB lays it out in
// /var/bigbluebutton/published/<format>/<recordID>/) live in a Store, each
// upload as a new immutable version; the index (package state) says which
// version of each format is current, whether the recording is published,
// and its metadata. A version becomes visible only when the index points
// to it, so an upload cut off at any point leaves either the old
// recording or the new one, never half of one.
package recordings

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"regexp"
	"time"
)

// Key names one stored version of one format of a recording.
type Key struct {
	Tenant, RecordID, Format string
	// Version is the upload's own name, given by Put.
	Version string
}

// File is a stored file opened for reading: what http.ServeContent needs.
type File interface {
	io.ReadSeekCloser
	Stat() (fs.FileInfo, error)
}

// Store holds the files of recording formats. The filesystem is the first
// implementation (FS); the interface is small so that an S3-compatible
// one can follow (a version is then a key prefix, Put a multipart upload
// completed last, Open a ranged GET).
type Store interface {
	// Put reads a tar stream of one format's folder and stores it durably
	// as a new version of key (whose Version is ignored), which it
	// returns. It stores all of it or nothing: on error nothing of the
	// upload remains. A full disk is ErrNoSpace.
	Put(ctx context.Context, key Key, tarStream io.Reader) (version string, err error)
	// Open opens a file of a stored version by its slash-separated path
	// inside the format's folder. Nothing outside that folder can be
	// opened: not by "..", not through a symbolic link.
	Open(key Key, name string) (File, error)
	// Move gives a stored version another key, keeping its Version (an
	// upload is written before its tenant is known, from its
	// metadata.xml). On a filesystem it is one rename.
	Move(from, to Key) error
	// Remove deletes a stored version; a missing one is no error.
	Remove(key Key) error
	// Versions lists every stored version, complete or left by a crash,
	// with the time it was stored, for sweeping versions no index names.
	Versions() ([]StoredVersion, error)
}

// StoredVersion is one version Versions found.
type StoredVersion struct {
	Key
	Stored time.Time
}

// Errors of a Store and of the Library.
var (
	// ErrNoSpace: the disk (or the bucket's quota) is full. Nothing
	// already stored is lost.
	ErrNoSpace = errors.New("recordings: no space left to store the recording")
	// ErrBadUpload: the upload is not a tar of one recording folder, or
	// it does not match what it claims.
	ErrBadUpload = errors.New("recordings: invalid upload")
	// ErrNotFound: no such recording, format or file.
	ErrNotFound = errors.New("recordings: not found")
)

var (
	recordIDRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$`)
	formatRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	tenantRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	versionRE  = regexp.MustCompile(`^[0-9a-z]{1,40}$`)
)

// ValidRecordID reports whether id can name a stored recording: BBB's
// record IDs (a SHA-1 and a millisecond time, joined by '-') always can.
func ValidRecordID(id string) bool { return recordIDRE.MatchString(id) }

// ValidFormat reports whether f can name a playback format (presentation,
// video, podcast, notes, screenshare, ...).
func ValidFormat(f string) bool { return formatRE.MatchString(f) }

func (k Key) valid() bool {
	return tenantRE.MatchString(k.Tenant) && ValidRecordID(k.RecordID) && ValidFormat(k.Format)
}
