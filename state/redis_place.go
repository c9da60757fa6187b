package state

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	args = append(args, v, len(cands))
	for _, c := range cands {
		w := c.Weight
		if w <= 0 {
			w = 1
		}
		args = append(args, c.ServerID, strconv.FormatFloat(c.Polled, 'g', -1, 64), strconv.FormatFloat(w, 'g', -1, 64))
	}
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
