package main

// Mutation is one deliberate bug: Old, found exactly once in File, is
// replaced by New; then go test runs Pkgs (narrowed by Run), which must
// fail.
type Mutation struct {
	// Name identifies the mutation (for -only and the report).
	Name string
	// Why says what a user would suffer if the bug shipped.
	Why string
	// File is relative to the module root, with forward slashes.
	File     string
	Old, New string
	// Pkgs and Run are the go test packages and -run regular expression
	// that must kill it: the narrowest that do, so CI stays fast.
	Pkgs []string
	Run  string
	// Race runs the tests with -race.
	Race bool
	// CI puts the mutation on the short list .ci/run checks.
	CI bool
}

// How to add one: copy the smallest snippet that makes the bug, check it
// occurs once in its file, give the package and -run pattern of the test
// that must catch it, and run `go run ./internal/mutate -only NAME`. If it
// survives, write the test first. See docs/development.md.
var mutations = []Mutation{
	{
		Name: "checksum-prefix",
		Why:  "Verify compares only the first 8 hex digits: a checksum can be guessed",
		File: "bbb/checksum.go",
		Old:  "ok |= subtle.ConstantTimeCompare(want, g)",
		New:  "ok |= subtle.ConstantTimeCompare(want[:8], g[:8])",
		Pkgs: []string{"./bbb"}, Run: "Verify|Checksum|Documentation", CI: true,
	},
	{
		Name: "checksum-case",
		Why:  "upper-case hex refused: BBB 2.6+ clients (and Moodle) fail",
		File: "bbb/checksum.go",
		Old:  "c += 'a' - 'A' // BBB 2.6+ ignores hex case",
		New:  "c += 0",
		Pkgs: []string{"./bbb"}, Run: "Verify",
	},
	{
		Name: "checksum-disallowed-alg",
		Why:  "an algorithm switched off in TINYSCALE_CHECKSUM_ALGORITHMS is still accepted",
		File: "bbb/checksum.go",
		Old:  "if alg == 0 || !allowed.Has(alg) {",
		New:  "if alg == 0 {",
		Pkgs: []string{"./bbb"}, Run: "Verify",
	},
	{
		Name: "xml-end-tag-unmatched",
		Why:  "ParseReply's end-tag fast path takes any end tag of the open element's length for its end: a mangled answer is read as a guess",
		File: "bbb/scan.go",
		Old:  "len(rest) > 2+n && string(rest[2:2+n]) == string(top) {",
		New:  "len(rest) > 2+n {",
		Pkgs: []string{"./bbb"}, Run: "ScannerFastPaths", CI: true,
	},
	{
		Name: "xml-leaf-end-tag-unmatched",
		Why:  "'<a>text</b>' read as one element: a mangled answer is read as a guess",
		File: "bbb/scan.go",
		Old:  " || string(after[j+2:j+2+n]) != string(s.name) {",
		New:  " {",
		Pkgs: []string{"./bbb"}, Run: "ScannerFastPaths",
	},
	{
		Name: "xml-text-cdata-close",
		Why:  "plain text may hold ']]>', which XML forbids outside CDATA: ParseReply accepts what encoding/xml refuses",
		File: "bbb/scan.go",
		Old:  "c == '<' || c == '&' || c == ']'",
		New:  "c == '<' || c == '&'",
		Pkgs: []string{"./bbb"}, Run: "ScannerFastPaths",
	},
	{
		Name: "claim-ignored",
		Why:  "the gateway ignores the owner Claim returns: two concurrent creates split a meeting over two servers",
		File: "gateway/create_place.go",
		Old:  "if owner != pick.ID {",
		New:  "if owner = pick.ID; false {",
		Pkgs: []string{"./gateway"}, Run: "Concurrent|Race", CI: true,
	},
	{
		Name: "memory-claim-unlocked",
		Why:  "Memory.Claim checks the owner outside its lock: two claims both win",
		File: "state/memory.go",
		Old:  "\tm.mu.Lock()\n\tdefer m.mu.Unlock()\n\tif cur := m.meetings[k].ServerID; cur != prev {",
		New:  "\tcur := m.meetings[k].ServerID\n\tm.mu.Lock()\n\tdefer m.mu.Unlock()\n\tif cur != prev {",
		Pkgs: []string{"./state"}, Run: "Claim", CI: true,
	},
	{
		Name: "bolt-claim-unchecked",
		Why:  "the bolt store's Claim overwrites another server's placement",
		File: "state/bolt.go",
		Old:  "if cur, _ := b.mem.Lookup(m.Tenant, m.MeetingID); cur != prev {",
		New:  "if cur, _ := b.mem.Lookup(m.Tenant, m.MeetingID); false && cur != prev {",
		Pkgs: []string{"./state"}, Run: "Contract|Claim",
	},
	{
		Name: "bolt-nosync",
		Why:  "the bolt file is written without fsync: a power cut loses acknowledged placements",
		File: "state/bolt.go",
		Old:  "&bolt.Options{Timeout: boltLockTimeout}",
		New:  "&bolt.Options{Timeout: boltLockTimeout, NoSync: true}",
		Pkgs: []string{"./state"}, Run: "Bolt", CI: true,
	},
	{
		Name: "bolt-claim-before-commit",
		Why:  "Claim returns before its write is committed: a crash right after loses an answered create's placement",
		File: "state/bolt.go",
		Old:  "err = b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeetings).Put(k, v) })",
		New:  "go b.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeetings).Put(k, v) })",
		Pkgs: []string{"./state"}, Run: "Bolt",
	},
	{
		Name: "redis-lua-claim",
		Why:  "the Redis claim script writes without comparing the owner: instances split meetings",
		File: "state/redis_scripts.go",
		Old:  "if owner ~= ARGV[2] then return {owner, 0} end\nif tonumber(ARGV[5]) > 0 then",
		New:  "if tonumber(ARGV[5]) > 0 then",
		Pkgs: []string{"./state"}, Run: "Redis|Contract", CI: true,
	},
	{
		Name: "redis-lua-claim-among",
		Why:  "the shared placement script places without comparing the owner: instances split meetings",
		File: "state/redis_scripts.go",
		Old:  "if owner ~= ARGV[2] then return {owner, 0} end\nlocal slot, keep, n",
		New:  "local slot, keep, n",
		Pkgs: []string{"./state"}, Run: "Redis|Contract|ClaimAmong", CI: true,
	},
	{
		Name: "redis-claim-levels-skip-last",
		Why:  "a claim sent as levels never considers the last server of a level: the least loaded one is passed over",
		File: "state/redis_scripts.go",
		Old:  "for j = i + 3, last do\n",
		New:  "for j = i + 3, last - 1 do\n",
		Pkgs: []string{"./state"}, Run: "ClaimAmong",
	},
	{
		Name: "apply-noop",
		Why:  "Server.Apply ignores other instances' reservations: a burst across instances piles on one server",
		File: "pool/server.go",
		Old:  "func (s *Server) Apply(r Reservation) {\n\ts.mu.Lock()",
		New:  "func (s *Server) Apply(r Reservation) {\n\tif true {\n\t\treturn\n\t}\n\ts.mu.Lock()",
		Pkgs: []string{"./pool"}, Run: "Share|Instances|ApplyRemote", CI: true,
	},
	{
		Name: "share-dropped",
		Why:  "reservations are never published to other instances",
		File: "pool/server.go",
		Old:  "\tif share != nil {\n\t\tshare(Reservation{ServerID: s.ID, MeetingID: meetingID, Expected: expected, At: at})",
		New:  "\tif share != nil && false {\n\t\tshare(Reservation{ServerID: s.ID, MeetingID: meetingID, Expected: expected, At: at})",
		Pkgs: []string{"./pool"}, Run: "Share|Instances|ApplyRemote",
	},
	{
		Name: "polled-before-by-createtime",
		Why:  "a shared placement's polled load tells new meetings by BBB's createTime, not their claim: a meeting claimed in one slot and created in the next is counted nowhere for a slot",
		File: "pool/place_shared.go",
		Old:  "\tif c, ok := s.claimed[ml.MeetingID]; ok {",
		New:  "\tif c, ok := s.claimed[ml.MeetingID]; ok && false {",
		Pkgs: []string{"./pool"}, Run: "PolledBefore", CI: true,
	},
	{
		Name: "shortlist-no-slack",
		Why:  "the shortlist is the k least loaded only: with views behind the claims, the servers really least loaded are missed",
		File: "pool/place_shared.go",
		Old:  "\tfor n < len(all) && all[n].load <= all[0].load+slack+tieEpsilon {",
		New:  "\tfor n < len(all) && false {",
		Pkgs: []string{"./pool"}, Run: "Shortlist", CI: true,
	},
	{
		Name: "reconcile-young",
		Why:  "reconcile drops a placement younger than the poll: a meeting being created loses its server",
		File: "gateway/reconcile.go",
		Old:  "m.CreatedAt.Before(round.Started) && g.creates.settled(bbbID, round.Started):",
		New:  "g.creates.settled(bbbID, round.Started):",
		Pkgs: []string{"./gateway"}, Run: "Reconcile|Poll|Young",
	},
	{
		Name: "end-notfound-keeps",
		Why:  "end answered notFound keeps the placement: a meeting BBB forgot stays routed to its old server",
		File: "gateway/meetings.go",
		Old:  `if reply != nil && (reply.OK() || reply.MessageKey == "notFound") {`,
		New:  `if reply != nil && reply.OK() {`,
		Pkgs: []string{"./gateway"}, Run: "End",
	},
	{
		Name: "join-owner",
		Why:  "join redirects to the first server instead of the meeting's: users land in an empty room",
		File: "gateway/meetings.go",
		Old:  `c.location[0] = s.Client.URLParams(bbb.CallJoin, c.params)`,
		New:  `c.location[0] = g.pool.All()[0].Client.URLParams(bbb.CallJoin, c.params)`,
		Pkgs: []string{"./gateway"}, Run: "Join", CI: true,
	},
	{
		Name: "tenant-scope",
		Why:  "a tenant's meeting IDs are not prefixed: tenants see and join each other's meetings",
		File: "tenant/tenant.go",
		Old:  "s := t.Name + separator + meetingID",
		New:  "s := meetingID",
		Pkgs: []string{"./gateway"}, Run: "Tenant", CI: true,
	},
	{
		Name: "fanout-merge",
		Why:  "getMeetings keeps only one server's meetings",
		File: "gateway/fanout.go",
		Old:  "if raw, ok := g.ownItem(c, l.it.Raw, id); ok {\n\t\t\titems = append(items, raw)",
		New:  "if raw, ok := g.ownItem(c, l.it.Raw, id); ok {\n\t\t\titems = append(items[:0], raw)",
		Pkgs: []string{"./gateway"}, Run: "GetMeetings", CI: true,
	},
	{
		Name: "passive-health",
		Why:  "a server refusing connections stays online: creates keep failing over to it",
		File: "gateway/backend.go",
		Old:  "if bbb.IsConnectError(err) && s.MarkOffline(err.Error()) {",
		New:  "if false && bbb.IsConnectError(err) && s.MarkOffline(err.Error()) {",
		Pkgs: []string{"./gateway"}, Run: "Refuses|Offline|Down", CI: true,
	},
	{
		Name: "jwt-verify",
		Why:  "a callback with a forged JWT is relayed to the integration",
		File: "callback/relay.go",
		Old:  "\tif err != nil {\n\t\tr.Log.Warn(\"callback refused: the BBB server's signature does not verify\"",
		New:  "\tif false && err != nil {\n\t\tr.Log.Warn(\"callback refused: the BBB server's signature does not verify\"",
		Pkgs: []string{"./gateway"}, Run: "Callback", CI: true,
	},
	{
		Name: "limiter-never-blocks",
		Why:  "the failed-checksum limiter never blocks: secrets can be guessed at full speed",
		File: "gateway/limiter.go",
		Old:  "return f != nil && now.Before(f.blocked)",
		New:  "return f != nil && false",
		Pkgs: []string{"./gateway"}, Run: "Limiter", CI: true,
	},
	{
		Name: "limiter-off-by-one",
		Why:  "the limiter allows one more failure than configured",
		File: "gateway/limiter.go",
		Old:  "if f.count >= l.Failures && !now.Before(f.blocked) {",
		New:  "if f.count > l.Failures && !now.Before(f.blocked) {",
		Pkgs: []string{"./gateway"}, Run: "Limiter",
	},
	{
		Name: "create-timeout-retry",
		Why:  "a create that timed out is retried on another server: the meeting may now run twice",
		File: "gateway/create.go",
		Old:  "\t\tc.fail(w, errCreateTimeout)\n\t\treturn createAnswered",
		New:  "\t\treturn drop()",
		Pkgs: []string{"./gateway"}, Run: "Create|Timeout|Split", CI: true,
	},
	{
		Name: "create-unsure-moves",
		Why:  "a create whose connection dropped mid-answer moves to another server: the meeting may now run twice",
		File: "gateway/create.go",
		Old:  "\t\toutcome(pool.Failure, err.Error())\n\t\tc.fail(w, errCreateUnsure)\n\t\treturn createAnswered",
		New:  "\t\toutcome(pool.Failure, err.Error())\n\t\treturn drop()",
		Pkgs: []string{"./gateway"}, Run: "Create|Timeout|Split|Reset",
	},
	{
		Name: "create-replayed",
		Why:  "the transport replays a create on a new connection and its refused dial moves the meeting: it runs twice",
		File: "bbb/client.go",
		Old:  "\t\tnoReplay(req)\n",
		New:  "\n",
		Pkgs: []string{"./bbb"}, Run: "NotReplayed",
	},
	{
		Name: "connect-error-after-send",
		Why:  "a dial error after the request went out counts as not received: the meeting moves and runs twice",
		File: "bbb/client.go",
		Old:  "if errors.As(err, &ce) && ce.sent {",
		New:  "if errors.As(err, &ce) && false {",
		Pkgs: []string{"./bbb"}, Run: "NotReplayed|IsConnectError", CI: true,
	},
	{
		Name: "breaker-ignored",
		Why:  "a server whose creates fail while its polls succeed keeps getting new meetings (28 of 30 failed)",
		File: "pool/passive.go",
		Old:  "if !ps.b.allows(now) {",
		New:  "if false && !ps.b.allows(now) {",
		Pkgs: []string{"./gateway", "./pool"}, Run: "FailingCreates|Breaker|HalfOpen", CI: true,
	},
	{
		Name: "stall-ignored",
		Why:  "a server that stopped answering gets creates until they time out, each costing a user the timeout",
		File: "pool/passive.go",
		Old:  "if now.Sub(at) > p.StallAfter {",
		New:  "if false && now.Sub(at) > p.StallAfter {",
		Pkgs: []string{"./gateway", "./pool"}, Run: "HangingServer|InFlight",
	},
	{
		Name: "max-meetings-racy",
		Why:  "max_meetings counts only claimed meetings: 40 concurrent creates all run against a limit of 5",
		File: "gateway/limits.go",
		Old:  "n := l.pending[t.Name] + store.TenantMeetings(t.Name)",
		New:  "n := store.TenantMeetings(t.Name)",
		Pkgs: []string{"./gateway"}, Run: "MaxMeetingsUnderConcurrency", CI: true,
	},
	{
		Name: "relearn-skipped",
		Why:  "after the store lost placements, creates place known meetings anew before the servers were asked: they run twice",
		File: "gateway/relearn.go",
		Old:  "\tif !lost {\n\t\treturn true",
		New:  "\tif true || !lost {\n\t\treturn true",
		Pkgs: []string{"./gateway"}, Run: "StateLoss",
	},
}
