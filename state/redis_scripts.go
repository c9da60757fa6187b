package state

import "github.com/redis/go-redis/v9"

// The writes are Lua scripts so that each one changes the data, bumps the
// sequence number and publishes its event as one atomic step: events
// arrive at every instance in the order Redis applied the writes, and an
// instance applying them in that order converges on what Redis holds.
//
// An event is "<seq> <instance> <op> <payload>"; see redis_events.go.
//
// Every write's ARGV[1] is "1" when the writing instance holds data in
// memory. If then the seq key (KEYS[2]) is missing, Redis lost its data
// (restarted without persistence, or flushed) and the write is refused
// until a resync has written the instances' memory back (reseedScript):
// a write first would create the seq key, and the lost placements would
// never come back.

// guard is the preamble of every write script.
const guard = `
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[2]) == 0 then
  return redis.error_reply('TINYSCALE_LOST Redis lost its data: waiting for a resync to write it back')
end
`

// claimScript: KEYS meeting, seq; ARGV guard, prev, server, meeting JSON, ttl
// (ms, 0 for none), channel, instance. Returns {owner, seq}; seq is 0
// when the claim lost and nothing was written.
var claimScript = redis.NewScript(guard + `
local cur = redis.call('GET', KEYS[1])
local owner = ''
if cur then owner = cjson.decode(cur)['server'] or '' end
if owner ~= ARGV[2] then return {owner, 0} end
if tonumber(ARGV[5]) > 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[4])
end
local seq = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[6], seq .. ' ' .. ARGV[7] .. ' claim ' .. ARGV[4])
return {ARGV[3], seq}
`)

// releaseScript: KEYS meeting, seq; ARGV guard, server, channel, instance.
// Returns the seq of the release, 0 if server did not hold the meeting.
var releaseScript = redis.NewScript(guard + `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
if (cjson.decode(cur)['server'] or '') ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
local seq = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], seq .. ' ' .. ARGV[4] .. ' release ' .. cur)
return seq
`)

// recordingScript: KEYS recordings hash, seq; ARGV guard, recordID, server,
// channel, instance, event payload. Returns the seq.
var recordingScript = redis.NewScript(guard + `
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
local seq = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[4], seq .. ' ' .. ARGV[5] .. ' rec ' .. ARGV[6])
return seq
`)

// docScript: KEYS doc, seq; ARGV guard, data, channel, instance, event payload.
// Returns the seq.
var docScript = redis.NewScript(guard + `
redis.call('SET', KEYS[1], ARGV[2])
local seq = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], seq .. ' ' .. ARGV[4] .. ' doc ' .. ARGV[5])
return seq
`)

// reseedScript writes an instance's memory back into a Redis that lost
// its data (restarted without persistence): KEYS seq, recordings hash;
// ARGV channel, instance, ttl (ms), number of meetings, number of
// recordings, then key/value pairs of meetings, recordings and docs. It
// does nothing if the seq key exists (Redis kept its data, or another
// instance reseeded first) and never overwrites a key (NX), then tells
// every instance to resync. Returns the seq, 0 if it did nothing.
var reseedScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ttl = tonumber(ARGV[3])
local i = 6
for _ = 1, tonumber(ARGV[4]) do
  if ttl > 0 then
    redis.call('SET', ARGV[i], ARGV[i+1], 'NX', 'PX', ttl)
  else
    redis.call('SET', ARGV[i], ARGV[i+1], 'NX')
  end
  i = i + 2
end
for _ = 1, tonumber(ARGV[5]) do
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i+1])
  i = i + 2
end
while i < #ARGV do
  redis.call('SET', ARGV[i], ARGV[i+1], 'NX')
  i = i + 2
end
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], seq .. ' ' .. ARGV[2] .. ' resync -')
return seq
`)

// claimAmongScript claims a meeting on the least loaded of the caller's
// candidates, adding to each candidate's polled load the pending load of
// the meetings placed by every instance from the caller's span's first
// kept slot on, so that placements through several instances see each
// other at once. Slot s keeps server -> load in <prefix>pending:<s> and
// server/meeting -> load in <prefix>pending:m:<s>, both expiring after the
// span.
//
// A placement is counted in the slot of Redis's clock when the script
// runs, not of the caller's span: a caller's span is taken before its
// claim is sent, and on a loaded machine claims reach Redis out of order
// by more than a slot. A claim counted in its late caller's older slot
// expired a slot early, and a late caller, reading up to its own slot
// only, missed the placements others had already counted in the next
// one; in the scale scenario at a 500 ms poll interval each made the
// least loaded server look like one with a meeting fewer. The script
// reads every slot from the caller's first kept one to the later of its
// own and Redis's, and returns the time it counted the placement at:
// the caller's polled loads must count the meetings placed before its
// cutoff by that time (pool.Pool.Reserve), so that every meeting is on
// exactly one side of the cutoff for every caller, whatever the clocks.
//
// KEYS meeting, seq; ARGV guard, prev, ttl (ms, 0 for none), channel,
// instance, cost, prefix, pending meeting ID, slot, slots kept before it,
// slot length (ms), the meeting's JSON with serverPlaceholder for its
// server, then the candidates (see appendLevels): the number of levels
// and per level its polled load, weight, number of servers and the
// servers, or minus the number of candidates and per candidate its
// server, polled load and weight. Returns {owner, seq,
// time (Unix ms)}; seq is 0 when the claim lost and nothing was written,
// as in claimScript.
//
// A shortlist may hold every server of a fleet (see pool.Shortlist): the
// script reads each slot's whole hash (HGETALL, as long as the servers
// with a meeting pending in it) rather than the candidates' fields
// (HMGET): a hash of up to 512 fields is a list that HMGET scans once per
// field, and 500 candidates took 475 µs a slot that way.
var claimAmongScript = redis.NewScript(guard + `
local cur = redis.call('GET', KEYS[1])
local owner = ''
if cur then owner = cjson.decode(cur)['server'] or '' end
if owner ~= ARGV[2] then return {owner, 0} end
local slot, keep, n = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[13])
local len = tonumber(ARGV[11])
local t = redis.call('TIME')
local at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local here = math.floor(at / len)
local load = {}
for s = slot - keep, math.max(slot, here) do
  local pend = redis.call('HGETALL', ARGV[7] .. 'pending:' .. s)
  for j = 1, #pend, 2 do load[pend[j]] = (load[pend[j]] or 0) + tonumber(pend[j+1]) end
end
local best, bestLoad = 0, 0
if n < 0 then
  for i = 14, 11 - 3*n, 3 do
    local l = tonumber(ARGV[i+1])
    local p = load[ARGV[i]]
    if p then l = l + p / tonumber(ARGV[i+2]) end
    if best == 0 or l < bestLoad - 1e-9 then best, bestLoad = i, l end
  end
else
  local i = 14
  for _ = 1, n do
    local polled, w, last = tonumber(ARGV[i]), tonumber(ARGV[i+1]), i + 2 + tonumber(ARGV[i+2])
    for j = i + 3, last do
      local l = polled
      local p = load[ARGV[j]]
      if p then l = l + p / w end
      if best == 0 or l < bestLoad - 1e-9 then best, bestLoad = j, l end
    end
    i = last + 1
  end
end
local server = ARGV[best]
local doc = string.gsub(ARGV[12], '"server":"` + serverPlaceholder + `"', (string.gsub('"server":' .. cjson.encode(server), '%%', '%%%%')), 1)
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[1], doc, 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], doc)
end
local pk, mk = ARGV[7] .. 'pending:' .. here, ARGV[7] .. 'pending:m:' .. here
local life = (keep + 2) * len
redis.call('HINCRBYFLOAT', pk, server, ARGV[6])
redis.call('HSET', mk, server .. '/' .. ARGV[8], ARGV[6])
redis.call('PEXPIRE', pk, life)
redis.call('PEXPIRE', mk, life)
local seq = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[4], seq .. ' ' .. ARGV[5] .. ' claim ' .. doc)
return {server, seq, at}
`)

// serverPlaceholder stands for the server in the meeting JSON that
// claimAmongScript fills in. The script replaces the whole field,
// "server":"<placeholder>", which no JSON string value can hold (its
// quotes would be escaped): a meeting ID that holds the placeholder
// itself stays as it is. Letters only, so no Lua pattern touches it.
const serverPlaceholder = "TINYSCALEPLACEDSERVER"

// settledScript drops the pending load of meetings that came to nothing,
// each once however many instances report it: ARGV prefix, slot, slots
// kept before it, server, slot length (ms), then meeting IDs; it looks up
// to Redis's own slot, where claimAmongScript counts placements. Returns
// how many it dropped.
var settledScript = redis.NewScript(`
local n = 0
local slot, keep = tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local top = math.max(slot, math.floor((tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) / tonumber(ARGV[5])))
for i = 6, #ARGV do
  local f = ARGV[4] .. '/' .. ARGV[i]
  for s = slot - keep, top do
    local mk = ARGV[1] .. 'pending:m:' .. s
    local cost = redis.call('HGET', mk, f)
    if cost then
      redis.call('HDEL', mk, f)
      local pk = ARGV[1] .. 'pending:' .. s
      local left = tonumber(redis.call('HINCRBYFLOAT', pk, ARGV[4], '-' .. cost))
      if left < 1e-6 then redis.call('HDEL', pk, ARGV[4]) end
      n = n + 1
      break
    end
  end
end
return n
`)
