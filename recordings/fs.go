package recordings

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// FS is the filesystem Store: a directory tree that several tinyscale
// instances may share (NFS, CephFS, ...):
//
//	<root>/<tenant>/<recordID>/<format>.<version>/   a stored version: the folder as BBB published it
//	<root>/.tmp/<upload>/                            an upload being written
//
// An upload is written under .tmp, every file and directory fsync'd, then
// renamed into place in one step and the parent fsync'd: a crash at any
// point leaves either nothing (a .tmp folder, swept later) or a whole
// version.
type FS struct {
	root string
}

// tempDir is where uploads are written before they are renamed into place.
const tempDir = ".tmp"

// OpenFS returns the Store at dir, creating it if needed.
func OpenFS(dir string) (*FS, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(abs, tempDir), 0o755); err != nil {
		return nil, fmt.Errorf("recordings: %w (TINYSCALE_RECORDINGS must be a directory tinyscale can write)", err)
	}
	return &FS{root: abs}, nil
}

// Root returns the store's directory.
func (f *FS) Root() string { return f.root }

func (f *FS) dir(k Key) string {
	return filepath.Join(f.root, k.Tenant, k.RecordID, k.Format+"."+k.Version)
}

// newVersion names an upload: sortable by time, unique by chance.
func newVersion() string {
	var b [5]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x%s", time.Now().UnixMilli(), hex.EncodeToString(b[:]))
}

// Put implements Store.
func (f *FS) Put(ctx context.Context, key Key, tarStream io.Reader) (string, error) {
	if !key.valid() {
		return "", fmt.Errorf("%w: bad tenant, record ID or format", ErrBadUpload)
	}
	key.Version = newVersion()
	tmp := filepath.Join(f.root, tempDir, key.RecordID+"-"+key.Format+"-"+key.Version)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return "", spaceErr(err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := extract(ctx, tmp, tarStream); err != nil {
		return "", err
	}
	parent := filepath.Dir(f.dir(key))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", spaceErr(err)
	}
	if err := os.Rename(tmp, f.dir(key)); err != nil {
		return "", spaceErr(err)
	}
	ok = true
	// The rename is durable once the directories holding it are.
	for _, d := range []string{parent, filepath.Dir(parent), filepath.Join(f.root, key.Tenant), filepath.Join(f.root, tempDir)} {
		if err := syncDir(d); err != nil {
			os.RemoveAll(f.dir(key))
			return "", spaceErr(err)
		}
	}
	return key.Version, nil
}

// maxEntries bounds the files of one upload (a long presentation has a
// few thousand).
const maxEntries = 1 << 20

// extract writes the tar stream's regular files and directories under dir,
// each file fsync'd, then every directory. Anything else (links, devices)
// and any name leaving dir is refused.
func extract(ctx context.Context, dir string, r io.Reader) error {
	tr := tar.NewReader(r)
	dirs := map[string]bool{dir: true}
	buf := make([]byte, 64<<10)
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBadUpload, err)
		}
		if n++; n > maxEntries {
			return fmt.Errorf("%w: more than %d files", ErrBadUpload, maxEntries)
		}
		name, ok := cleanName(h.Name)
		if !ok {
			return fmt.Errorf("%w: file name %q leaves the recording's folder", ErrBadUpload, h.Name)
		}
		if name == "." {
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return spaceErr(err)
			}
			markDirs(dirs, dir, dst)
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return spaceErr(err)
			}
			markDirs(dirs, dir, filepath.Dir(dst))
			if err := writeFile(dst, tr, buf); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: %q is not a regular file or directory", ErrBadUpload, h.Name)
		}
	}
	// Read to the end past the tar's end marker: the reader may check
	// what it read (size, checksum) only there.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("%w: %v", ErrBadUpload, err)
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return spaceErr(err)
		}
	}
	return nil
}

func markDirs(dirs map[string]bool, root, d string) {
	for ; d != root && strings.HasPrefix(d, root); d = filepath.Dir(d) {
		dirs[d] = true
	}
}

// cleanName makes a tar entry's name a clean relative slash path, false if
// it is absolute or climbs out.
func cleanName(name string) (string, bool) {
	name = strings.TrimPrefix(name, "./")
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.ContainsRune(name, 0) {
		return "", name == ""
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

func writeFile(dst string, r io.Reader, buf []byte) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s is in the upload twice", ErrBadUpload, filepath.Base(dst))
		}
		return spaceErr(err)
	}
	if _, err := io.CopyBuffer(out, r, buf); err != nil {
		out.Close()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: the upload ends in the middle of a file", ErrBadUpload)
		}
		return spaceErr(err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return spaceErr(err)
	}
	return spaceErr(out.Close())
}

func syncDir(d string) error {
	f, err := os.Open(d)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// spaceErr turns a full disk or quota into ErrNoSpace.
func spaceErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %v", ErrNoSpace, err)
	}
	return err
}

// Open implements Store. It opens through an os.Root of the version's
// folder, which refuses "..", absolute names and symbolic links that lead
// out of it.
func (f *FS) Open(key Key, name string) (File, error) {
	if !key.valid() || !versionRE.MatchString(key.Version) {
		return nil, ErrNotFound
	}
	name, ok := cleanName(name)
	if !ok || name == "" {
		return nil, ErrNotFound
	}
	root, err := os.OpenRoot(f.dir(key))
	if err != nil {
		return nil, ErrNotFound
	}
	defer root.Close()
	file, err := root.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, ErrNotFound
	}
	return file, nil
}

// Move implements Store.
func (f *FS) Move(from, to Key) error {
	if !from.valid() || !to.valid() || !versionRE.MatchString(from.Version) || to.Version != from.Version {
		return fmt.Errorf("recordings: bad move %v → %v", from, to)
	}
	parent := filepath.Dir(f.dir(to))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return spaceErr(err)
	}
	if err := os.Rename(f.dir(from), f.dir(to)); err != nil {
		return spaceErr(err)
	}
	os.Remove(filepath.Dir(f.dir(from)))
	for _, d := range []string{parent, filepath.Dir(parent), filepath.Dir(f.dir(from))} {
		if err := syncDir(d); err != nil && !errors.Is(err, os.ErrNotExist) {
			return spaceErr(err)
		}
	}
	return nil
}

// Remove implements Store: the folder is renamed away first (one step),
// then deleted.
func (f *FS) Remove(key Key) error {
	if !key.valid() || !versionRE.MatchString(key.Version) {
		return nil
	}
	trash := filepath.Join(f.root, tempDir, "rm-"+key.RecordID+"-"+key.Format+"-"+key.Version)
	if err := os.Rename(f.dir(key), trash); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	err := os.RemoveAll(trash)
	// Drop the recording's folder once its last version is gone.
	os.Remove(filepath.Dir(f.dir(key)))
	return err
}

// Versions implements Store.
func (f *FS) Versions() ([]StoredVersion, error) {
	tenants, err := os.ReadDir(f.root)
	if err != nil {
		return nil, err
	}
	var out []StoredVersion
	for _, t := range tenants {
		if !t.IsDir() || !tenantRE.MatchString(t.Name()) {
			continue
		}
		recs, _ := os.ReadDir(filepath.Join(f.root, t.Name()))
		for _, r := range recs {
			vs, _ := os.ReadDir(filepath.Join(f.root, t.Name(), r.Name()))
			for _, v := range vs {
				format, version, ok := strings.Cut(v.Name(), ".")
				if !ok || !v.IsDir() {
					continue
				}
				info, err := v.Info()
				if err != nil {
					continue
				}
				out = append(out, StoredVersion{Key{t.Name(), r.Name(), format, version}, info.ModTime()})
			}
		}
	}
	return out, nil
}

// CleanTemp removes uploads left in .tmp by a crash, older than age: an
// upload of another instance sharing the directory may still be running,
// so young ones stay.
func (f *FS) CleanTemp(age time.Duration) {
	entries, _ := os.ReadDir(filepath.Join(f.root, tempDir))
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			os.RemoveAll(filepath.Join(f.root, tempDir, e.Name()))
		}
	}
}
