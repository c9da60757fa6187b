package state

// MeetingCounter is a Store that counts its placements without copying
// them: the dashboard's overview asks every 1.5 seconds.
type MeetingCounter interface {
	MeetingCount() int
}

// MeetingCount implements MeetingCounter.
func (m *Memory) MeetingCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.meetings)
}

// MeetingCount implements MeetingCounter from memory.
func (b *Bolt) MeetingCount() int { return b.mem.MeetingCount() }

// MeetingCount implements MeetingCounter from memory.
func (r *Redis) MeetingCount() int { return r.mem.MeetingCount() }
