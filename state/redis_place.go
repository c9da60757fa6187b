package state

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// PendingTTL bounds how long the pending load of placements lives in
// Redis without a new placement: an instance that died before its polls
// settled its meetings leaves no load behind for longer.
const PendingTTL = 30 * time.Minute

func (r *Redis) pendingKey() string         { return r.cfg.prefix + "pending" }
func (r *Redis) pendingMeetingsKey() string { return r.cfg.prefix + "pending:m" }

// ClaimAmong implements Placer (see claimAmongScript): one round trip.
func (r *Redis) ClaimAmong(m Meeting, prev, pendingID string, cands []Candidate, cost float64) (string, bool, error) {
	if len(cands) == 0 {
		return "", false, fmt.Errorf("state: redis claim %s: no candidate", m.MeetingID)
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	args := []any{prev, r.cfg.ttl.Milliseconds(), r.channel(), r.id,
		strconv.FormatFloat(cost, 'g', -1, 64), PendingTTL.Milliseconds(), pendingID, len(cands)}
	docs := make(map[string]Meeting, len(cands))
	for _, c := range cands {
		mc := m
		mc.ServerID = c.ServerID
		v, err := json.Marshal(mc)
		if err != nil {
			return "", false, err
		}
		docs[c.ServerID] = mc
		w := c.Weight
		if w <= 0 {
			w = 1
		}
		args = append(args, c.ServerID, strconv.FormatFloat(c.Polled, 'g', -1, 64), strconv.FormatFloat(w, 'g', -1, 64), v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	flag := "0"
	if !r.mem.empty() {
		flag = "1"
	}
	keys := []string{r.meetingKey(m.Tenant, m.MeetingID), r.seqKey(), r.pendingKey(), r.pendingMeetingsKey()}
	cmd := claimAmongScript.Run(ctx, r.client, keys, append([]any{flag}, args...)...)
	r.lost(cmd.Err())
	res, err := cmd.Slice()
	if err != nil {
		return "", false, unavailable("claim "+m.MeetingID, err)
	}
	if len(res) != 2 {
		return "", false, fmt.Errorf("state: redis claim %s: unexpected reply %v", m.MeetingID, res)
	}
	owner, _ := res[0].(string)
	seq, _ := res[1].(int64)
	if seq == 0 {
		return owner, false, nil
	}
	won := docs[owner]
	r.settle(seq, func() { r.mem.Put(won) })
	return owner, true, nil
}

// Settled implements Placer: one round trip.
func (r *Redis) Settled(serverID string, pendingIDs []string) error {
	if len(pendingIDs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.timeout)
	defer cancel()
	args := make([]any, 0, 1+len(pendingIDs))
	args = append(args, serverID)
	for _, id := range pendingIDs {
		args = append(args, id)
	}
	if err := settledScript.Run(ctx, r.client, []string{r.pendingKey(), r.pendingMeetingsKey()}, args...).Err(); err != nil {
		return unavailable("settle pending", err)
	}
	return nil
}
