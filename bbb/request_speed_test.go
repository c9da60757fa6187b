package bbb

import "testing"

// BenchmarkParseParamsVersus runs ParseParams and the frozen copy of what
// it was side by side, so that one run of -count N, on one noisy machine,
// compares them: the Greenlight join, a query with nothing to decode, and
// one that is encoded throughout.
func BenchmarkParseParamsVersus(b *testing.B) {
	for _, q := range []struct{ name, raw string }{
		{"greenlight", greenlightJoin},
		{"plain", "meetingID=8e5d5f0b3c2a4f6e9d1b7a0c5e3f2d1a4b6c8e0f&fullName=AnnaLenaMueller&role=MODERATOR&userID=a1b2c3d4-e5f6-7890-abcd-ef0123456789&createTime=1715261728123"},
		{"encoded", "fullName=%D0%90%D0%BD%D0%BD%D0%B0+%D0%9C%D1%8E%D0%BB%D0%BB%D0%B5%D1%80&logoutURL=https%3A%2F%2Fa.example%2F%3Fx%3D1%26y%3D2&meetingID=%E4%BC%9A%E8%AE%AE"},
	} {
		for _, impl := range []struct {
			name  string
			parse func(string) (Params, *Error)
		}{{"frozen", parseParamsFrozen}, {"now", ParseParams}} {
			b.Run(q.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(q.raw)))
				for b.Loop() {
					if _, err := impl.parse(q.raw); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
