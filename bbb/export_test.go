package bbb

// What the external benchmarks of versus_test.go need of the package's
// own tests.
var (
	ParseReplyV0 = parseReplyV0
	MeetingsDoc  = meetingsDoc
)
