package state

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// slot numbers span's current slot.
func (sp PendingSpan) slot() int64 {
	l := max(sp.Length.Milliseconds(), 1)
	return sp.Now.UnixMilli() / l
}

// ClaimAmong implements Placer (see claimAmongScript): one round trip.
func (r *Redis) ClaimAmong(m Meeting, prev, pendingID string, cands []Candidate, cost float64, span PendingSpan) (Claimed, error) {
	if len(cands) == 0 {
		return Claimed{}, fmt.Errorf("state: redis claim %s: no candidate", m.MeetingID)
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	args := []any{prev, r.cfg.ttl.Milliseconds(), r.channel(), r.id,
		strconv.FormatFloat(cost, 'g', -1, 64), r.cfg.prefix, pendingID,
		span.slot(), span.Keep, max(span.Length.Milliseconds(), 1)}
	tmpl := m
	tmpl.ServerID = serverPlaceholder
	v, err := json.Marshal(tmpl)
	if err != nil {
		return Claimed{}, err
	}
	if bytes.Count(v, []byte(`"server":"`+serverPlaceholder+`"`)) != 1 {
		return Claimed{}, fmt.Errorf("state: redis claim %s: the meeting's JSON has no single server field", m.MeetingID)
	}
	args = appendLevels(append(args, v), cands)
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	flag := "0"
	if !r.mem.empty() {
		flag = "1"
	}
	keys := []string{r.meetingKey(m.Tenant, m.MeetingID), r.seqKey()}
	cmd := claimAmongScript.Run(ctx, r.client, keys, append([]any{flag}, args...)...)
	r.lost(cmd.Err())
	res, err := cmd.Slice()
	if err != nil {
		return Claimed{}, unavailable("claim "+m.MeetingID, err)
	}
	if len(res) < 2 {
		return Claimed{}, fmt.Errorf("state: redis claim %s: unexpected reply %v", m.MeetingID, res)
	}
	owner, _ := res[0].(string)
	seq, _ := res[1].(int64)
	if seq == 0 {
		return Claimed{Owner: owner}, nil
	}
	if len(res) != 3 {
		return Claimed{}, fmt.Errorf("state: redis claim %s: unexpected reply %v", m.MeetingID, res)
	}
	at, _ := res[2].(int64)
	m.ServerID = owner
	r.settle(seq, func() { r.mem.Put(m) })
	return Claimed{Owner: owner, Won: true, At: time.UnixMilli(at)}, nil
}

// Settled implements Placer: one round trip.
func (r *Redis) Settled(serverID string, pendingIDs []string, span PendingSpan) error {
	if len(pendingIDs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	args := make([]any, 0, 5+len(pendingIDs))
	args = append(args, r.cfg.prefix, span.slot(), span.Keep, serverID, max(span.Length.Milliseconds(), 1))
	for _, id := range pendingIDs {
		args = append(args, id)
	}
	if err := settledScript.Run(ctx, r.client, nil, args...).Err(); err != nil {
		return unavailable("settle pending", err)
	}
	return nil
}

// appendLevels appends cands to a claim's arguments as claimAmongScript
// reads them: the number of levels, then per level (a polled load and a
// weight, in the order each first appears in cands) the load, the
// weight, how many servers are at it and the servers, in cands' order.
// When there are at least half as many levels as candidates (levels
// would then save little or cost more), it appends minus the number of
// candidates and per candidate its server, load and weight instead.
//
// Why levels: a shortlist of a fleet of equal servers holds all of them
// (see pool.Shortlist), nearly all at one polled load. Sent per server,
// 500 candidates were 1,500 arguments, 1,000 of them numbers formatted
// here and parsed again by the script; most of a claim's cost on both
// sides. The choice is the same: the first candidate of least polled
// plus pending load, equals taken in the order of their levels.
func appendLevels(args []any, cands []Candidate) []any {
	type level struct {
		polled, weight float64
		n, next        int // servers at it; where its next one goes in order
	}
	var levels []level
	at := make(map[[2]float64]int, 4)
	of := make([]int, len(cands)) // each candidate's level
	for j, c := range cands {
		w := c.Weight
		if w <= 0 {
			w = 1
		}
		k := [2]float64{c.Polled, w}
		i, ok := at[k]
		if !ok {
			if len(levels)+1 >= len(cands)/2 {
				// 3 arguments per level and 1 per server, against 3 per
				// server: levels this many save too little.
				return appendEach(args, cands)
			}
			i = len(levels)
			at[k] = i
			levels = append(levels, level{polled: c.Polled, weight: w})
		}
		levels[i].n++
		of[j] = i
	}
	// Each level's servers in cands' order, levels one after the other:
	// a counting sort, so that a fleet of distinct loads costs no more
	// than one of equal ones.
	sum := 0
	for i := range levels {
		levels[i].next, sum = sum, sum+levels[i].n
	}
	order := make([]string, len(cands))
	for j, c := range cands {
		l := &levels[of[j]]
		order[l.next] = c.ServerID
		l.next++
	}
	args = slices.Grow(args, 1+3*len(levels)+len(cands))
	args = append(args, len(levels))
	k := 0
	for _, l := range levels {
		args = append(args, strconv.FormatFloat(l.polled, 'g', -1, 64), strconv.FormatFloat(l.weight, 'g', -1, 64), l.n)
		for _, s := range order[k : k+l.n] {
			args = append(args, s)
		}
		k += l.n
	}
	return args
}

// appendEach appends cands as claimAmongScript reads them one by one:
// minus their number, then per candidate its server, polled load and
// weight.
func appendEach(args []any, cands []Candidate) []any {
	args = slices.Grow(args, 1+3*len(cands))
	args = append(args, -len(cands))
	for _, c := range cands {
		w := c.Weight
		if w <= 0 {
			w = 1
		}
		args = append(args, c.ServerID, strconv.FormatFloat(c.Polled, 'g', -1, 64), strconv.FormatFloat(w, 'g', -1, 64))
	}
	return args
}
