package recordings

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
)

// verified reads an upload and, at its end, checks that it had the signed
// size and SHA-256: a stream cut short or changed fails before anything
// is stored (Put stores nothing when its reader fails).
type verified struct {
	r    io.Reader
	h    hash.Hash
	want string
	size int64
	n    int64
}

func (v *verified) init() { v.h = sha256.New() }

func (v *verified) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF {
		if v.n != v.size {
			return n, fmt.Errorf("%w: the upload ended after %d of %d bytes", ErrBadUpload, v.n, v.size)
		}
		if hex.EncodeToString(v.h.Sum(nil)) != v.want {
			return n, fmt.Errorf("%w: the upload's SHA-256 is not the signed one", ErrBadUpload)
		}
	}
	return n, err
}
