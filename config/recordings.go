package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// loadRecordingsEnv reads TINYSCALE_RECORDINGS and TINYSCALE_PLAYER_DIR.
// The store needs TINYSCALE_URL: every playback URL is under it.
func (e *Env) loadRecordingsEnv(getenv func(string) string) error {
	e.RecordingsDir = getenv("TINYSCALE_RECORDINGS")
	e.PlayerDir = getenv("TINYSCALE_PLAYER_DIR")
	if e.RecordingsDir != "" && e.PublicURL == "" {
		return errors.New("TINYSCALE_RECORDINGS is set but TINYSCALE_URL is not: recordings are pushed to and played from tinyscale's public address; set TINYSCALE_URL=https://lb.example.org")
	}
	if e.PlayerDir != "" {
		if _, err := os.Stat(filepath.Join(e.PlayerDir, "index.html")); err != nil {
			return fmt.Errorf("TINYSCALE_PLAYER_DIR=%q has no index.html: point it at bbb-playback's build directory (docs/recordings.md)", e.PlayerDir)
		}
	}
	return nil
}
