package pool

// Successor returns a copy of s with new placement limits, for a reload
// of servers.json that changes a server's weight, tags or max_load but
// not its host or secret. Those fields are read without a lock during
// placement, so they cannot change in place; the copy keeps what
// tinyscale learned of the server (health, admin state, the last poll's
// meetings, pending reservations), so the change costs it nothing.
//
// Reservations made on s after the copy are not carried over; the next
// poll sees those meetings anyway.
func (s *Server) Successor(weight, maxLoad float64, tags []string) *Server {
	if weight <= 0 {
		weight = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := &Server{
		ID: s.ID, Client: s.Client, Weight: weight, MaxLoad: maxLoad, Tags: append([]string(nil), tags...),
		health: s.health, admin: s.admin, polled: s.polled,
		meetings: append([]MeetingLoad(nil), s.meetings...),
		pending:  s.pending.clone(),
	}
	return n
}
