package pool

import "github.com/tinyscale/tinyscale/internal/own"

// ownStrings gives the strings of each polled meeting memory of their own.
//
// bbb.ParseReply cuts every string of an answer from one copy of the
// answer's text, and a meeting's ID, name and internal IDs live on long
// after the poll: in the placements, the usage tracker, the breakout index,
// a server's claimed times. Each kept substring kept the whole text of the
// answer it came from, so a meeting still running pinned the answer of
// the poll that first listed it: with churn, up to one whole answer (100
// meetings, some 20 KB) per running meeting.
//
// A meeting the server's previous answer listed reuses that answer's
// strings, which are already its own: a steady fleet copies nothing. Any
// other meeting's strings are copied into one allocation for the meeting,
// so that what keeps one of them keeps that meeting's few bytes only.
type ownStrings struct {
	last  []MeetingLoad  // the previous answer's meetings, strings owned
	next  int            // where the next meeting is looked for first
	index map[string]int // last by meeting ID, built at the first miss
}

// find returns the meeting of the last answer with this ID, if any,
// trying the same position and the one after the last match first: a
// server lists its meetings in a stable order.
func (o *ownStrings) find(i int, id string) *MeetingLoad {
	for _, j := range [2]int{i, o.next} {
		if j < len(o.last) && o.last[j].MeetingID == id {
			o.next = j + 1
			return &o.last[j]
		}
	}
	if len(o.last) == 0 {
		return nil
	}
	if o.index == nil {
		o.index = make(map[string]int, len(o.last))
		for j := range o.last {
			o.index[o.last[j].MeetingID] = j
		}
	}
	j, ok := o.index[id]
	if !ok {
		return nil
	}
	o.next = j + 1
	return &o.last[j]
}

// own makes m's strings (parsed from an answer, m the i-th meeting) owned.
func (o *ownStrings) own(m *MeetingLoad, i int) {
	fields := [...]*string{&m.MeetingID, &m.Name, &m.InternalID, &m.ParentID}
	var prev [len(fields)]string
	if p := o.find(i, m.MeetingID); p != nil {
		prev = [...]string{p.MeetingID, p.Name, p.InternalID, p.ParentID}
	}
	var fresh [len(fields)]*string
	n := 0
	for k, f := range fields {
		switch {
		case *f == prev[k]:
			*f = prev[k] // the last answer's copy (or "")
		case *f != "":
			fresh[n] = f
			n++
		}
	}
	own.Strings(fresh[:n]...)
}
