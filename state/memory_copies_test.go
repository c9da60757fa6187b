package state

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tinyscale/tinyscale/internal/testheap"
)

// TestMemoryKeepsCopies: a placement and a recording owner keep their own
// few bytes, not the request, event or answer their IDs were cut from
// (here a 1 MB string each). Every store keeps its placements and owners
// in a Memory.
func TestMemoryKeepsCopies(t *testing.T) {
	for _, tc := range []struct {
		name string
		keep func(m *Memory, cut func(string) string)
	}{
		{"a claim", func(m *Memory, cut func(string) string) {
			m.Claim(Meeting{Tenant: cut("uni"), MeetingID: cut("room"), ServerID: cut("bbb-1")}, "")
		}},
		{"a put", func(m *Memory, cut func(string) string) {
			m.Put(Meeting{Tenant: cut("uni"), MeetingID: cut("room"), ServerID: cut("bbb-1")})
		}},
		{"a recording owner", func(m *Memory, cut func(string) string) {
			m.SetRecordingOwner(cut("4f3c2d1e0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e-1715261728123"), cut("bbb-1"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kept := testheap.Retained(func() *Memory {
				m := NewMemory()
				for i := range 10 {
					tc.keep(m, func(s string) string { return (strings.Repeat("x", 1<<20) + s + strconv.Itoa(i))[1<<20:] })
				}
				return m
			})
			if kept > 256<<10 {
				t.Errorf("10 entries keep %d KB alive; each was cut from a 1 MB string", kept>>10)
			}
		})
	}
}
