package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBoltDamagedFileIsAnError truncates and scribbles over a real state
// file at many points: opening it never panics, and either works or says
// which file is damaged and how to start again.
func TestBoltDamagedFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	b, err := OpenBolt(good)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		claim(t, b, Meeting{Tenant: DefaultTenant, MeetingID: fmt.Sprintf("m%03d", i), ServerID: "s1"}, "")
	}
	must(t, b.Close())
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	type damage struct {
		name string
		data []byte
	}
	var cases []damage
	for _, n := range []int{1, 100, 4095, 4096, 8191, 8192, 12288, len(data) / 2, len(data) - 4096, len(data) - 1} {
		if n > 0 && n < len(data) {
			cases = append(cases, damage{fmt.Sprintf("truncated to %d", n), data[:n]})
		}
	}
	for _, off := range []int{0, 16, 4096 + 16, 8192, 12288, len(data) - 4096} {
		if off >= 0 && off+64 <= len(data) {
			d := append([]byte(nil), data...)
			for i := range 64 {
				d[off+i] ^= 0xa5
			}
			cases = append(cases, damage{fmt.Sprintf("64 bytes flipped at %d", off), d})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tinyscale.db")
			if err := os.WriteFile(path, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			b, err := OpenBolt(path)
			if err == nil {
				b.Close() // some damage leaves a readable older meta page
				return
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, "mv ") {
				t.Errorf("error does not name the file and the fix: %v", err)
			}
			if strings.Contains(msg, "used by another") {
				t.Errorf("damage reported as a lock: %v", err)
			}
			if !errors.Is(err, ErrDamaged) {
				t.Errorf("error is not ErrDamaged: %v", err)
			}
		})
	}
}
