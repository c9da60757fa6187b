package asynclog

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// slogLine is what slog's own handler writes for r: the reference.
func slogLine(t *testing.T, json bool, r slog.Record) string {
	t.Helper()
	var buf bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.Level(math.MinInt)}
	var h slog.Handler = slog.NewTextHandler(&buf, opts)
	if json {
		h = slog.NewJSONHandler(&buf, opts)
	}
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// checkLine fails t unless appendRecord writes r exactly as slog does, or
// leaves it to slog; wantFlat says it must not leave it.
func checkLine(t *testing.T, json bool, r slog.Record, wantFlat bool) {
	t.Helper()
	got, ok := appendRecord([]byte("prefix kept:"), r, json)
	if !bytes.HasPrefix(got, []byte("prefix kept:")) {
		t.Fatalf("the bytes before the line were changed: %q", got)
	}
	if !ok {
		if wantFlat {
			t.Fatalf("json=%v: record left to slog, want it written: %s", json, slogLine(t, json, r))
		}
		return
	}
	if want := slogLine(t, json, r); string(got[len("prefix kept:"):]) != want {
		t.Fatalf("json=%v:\n got %q\nwant %q", json, got[len("prefix kept:"):], want)
	}
}

// trickyStrings need quoting or escaping, or look as if they might.
var trickyStrings = []string{
	"", "api", "a b", "a=b", `a"b`, `a\b`, "\\", "\x00", "\x1f", "\x7f", "tab\there", "nl\n", "cr\r",
	"é", "Müller-Schmidt", "日本語", "\u00a0", "\u2028", "\u2029", "\u200b", "\ufeff", "\ufffd", "\xff", "\xc3",
	"a\xc3(b", "\U0001F600", "\u0085", "\u3000", "key=value pair", "https://bbb.example.org/x?a=1&b=2",
	"<script>", "'single'", "100%", "-", "{}", "[1,2]",
}

// TestLineMatchesSlog: the API call line and every tricky string, in
// text and JSON, in several zones, are written as slog writes them.
func TestLineMatchesSlog(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 5*3600+45*60), time.FixedZone("X", -(3*3600 + 30*60)),
		time.FixedZone("odd", 37), time.FixedZone("", 0)}
	base := time.Date(2026, 12, 2, 16, 57, 35, 244_123_456, time.UTC)
	for _, json := range []bool{false, true} {
		for _, loc := range zones {
			for _, ns := range []int{0, 1, 999_999, 1_000_000, 100_000_000, 120_000_000, 999_999_999} {
				now := time.Date(2026, 12, 2, 16, 57, 35, ns, loc)
				r := slog.NewRecord(now, slog.LevelInfo, "api", 0)
				r.AddAttrs(slog.String("call", "join"), slog.String("tenant", "acme"), slog.String("meetingID", "room 1"),
					slog.String("server", "bbb-3"), slog.String("result", "redirect"), slog.Duration("duration", 82124*time.Nanosecond))
				checkLine(t, json, r, true)
			}
		}
		for _, s := range trickyStrings {
			r := slog.NewRecord(base, slog.LevelWarn, s, 0)
			r.AddAttrs(slog.String("k", s), slog.String(s+"x", "v"))
			checkLine(t, json, r, true)
		}
		for _, l := range []slog.Level{slog.LevelDebug - 3, slog.LevelDebug, slog.LevelInfo + 1, slog.LevelWarn, slog.LevelError, slog.LevelError + 7} {
			checkLine(t, json, slog.NewRecord(base, l, "m", 0), true)
		}
		// No time: slog leaves the key out.
		checkLine(t, json, slog.NewRecord(time.Time{}, slog.LevelInfo, "m", 0), true)
		r := slog.NewRecord(base, slog.LevelInfo, "kinds", 0)
		r.AddAttrs(slog.Int("i", -42), slog.Int64("min", math.MinInt64), slog.Uint64("u", math.MaxUint64), slog.Bool("b", true),
			slog.Duration("d0", 0), slog.Duration("dneg", -time.Hour-time.Nanosecond), slog.Duration("dmax", math.MaxInt64),
			slog.Time("at", base.In(time.FixedZone("", -7*3600))), slog.Time("zero", time.Time{}))
		checkLine(t, json, r, true)
	}
	// Kinds left to slog: the fallback must be taken, not guessed at.
	for _, a := range []slog.Attr{
		slog.Any("err", errors.New("boom")), slog.Group("g", slog.String("a", "b")), slog.Any("v", []int{1}),
		slog.String("", "empty key"), slog.Any("", nil), slog.Any("lv", logValuer{}),
	} {
		r := slog.NewRecord(base, slog.LevelInfo, "m", 0)
		r.AddAttrs(slog.String("before", "x"), a)
		for _, json := range []bool{false, true} {
			if _, ok := appendRecord(nil, r, json); ok {
				t.Errorf("json=%v: %v written, want it left to slog", json, a)
			}
		}
	}
	// Floats: text writes them; JSON leaves them to encoding/json's rules.
	for _, f := range []float64{0, -0.5, 1e21, 1e-7, math.Inf(1), math.NaN(), 3.141592653589793} {
		r := slog.NewRecord(base, slog.LevelInfo, "m", 0)
		r.AddAttrs(slog.Float64("f", f))
		checkLine(t, false, r, true)
		if _, ok := appendRecord(nil, r, true); ok {
			t.Errorf("json: float %v written, want it left to slog", f)
		}
	}
}

type logValuer struct{}

func (logValuer) LogValue() slog.Value { return slog.StringValue("resolved") }

// TestLineYears: years slog writes with other than four digits, and the
// JSON error it writes for them, are slog's.
func TestLineYears(t *testing.T) {
	for _, y := range []int{-1, 0, 1, 999, 9999, 10000, 292277026596} {
		for _, loc := range []*time.Location{time.UTC, time.FixedZone("", -3600)} {
			at := time.Date(y, 1, 1, 0, 0, 0, 5_000_000, loc)
			for _, json := range []bool{false, true} {
				checkLine(t, json, slog.NewRecord(at, slog.LevelInfo, "m", 0), !json)
				r := slog.NewRecord(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), slog.LevelInfo, "m", 0)
				r.AddAttrs(slog.Time("at", at))
				checkLine(t, json, r, !json)
			}
		}
	}
}

// TestLineSameSecond: lines of one second share a stamp; each still gets
// its own milliseconds, and a zone change within the second its zone.
func TestLineSameSecond(t *testing.T) {
	east := time.FixedZone("", 3600)
	for i := range 3000 {
		loc := time.UTC
		if i%7 == 0 {
			loc = east
		}
		at := time.Date(2026, 3, 29, 1, 0, 0, i*333_333, loc)
		for _, json := range []bool{false, true} {
			checkLine(t, json, slog.NewRecord(at, slog.LevelInfo, "m", 0), true)
		}
	}
}

// TestLineConcurrent: goroutines logging times of different seconds at
// once (the stamp is shared) each get their own line right.
func TestLineConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				at := time.Unix(1_780_000_000+int64(i%3+g), int64(i)*1_999_999)
				checkLine(t, g%2 == 0, slog.NewRecord(at, slog.LevelInfo, "m", 0), true)
			}
		}()
	}
	wg.Wait()
}

// FuzzLine holds the fast line to slog's on random strings (needing
// quoting, unicode, control bytes, invalid UTF-8), times in any zone and
// year, durations, numbers and levels.
func FuzzLine(f *testing.F) {
	for i, s := range trickyStrings {
		f.Add(s, s, "v"+s, int64(1_780_000_000+i), int64(i*123_456_789), int32(i*1800-20000), int64(i)*int64(time.Millisecond)+7, int64(-i), i%12-4)
	}
	f.Add("api", "meetingID", "room", int64(-62135596800), int64(0), int32(0), int64(math.MinInt64), int64(math.MaxInt64), 0)
	f.Add("m", "k", "v", int64(253402300800), int64(999_999_999), int32(-86399), int64(1), int64(0), 8)
	f.Fuzz(func(t *testing.T, msg, key, val string, sec, nsec int64, offset int32, d, n int64, level int) {
		loc := time.FixedZone("", int(offset%(26*3600)))
		if offset%5 == 0 {
			loc = time.UTC
		}
		at := time.Unix(sec, nsec).In(loc)
		flatKey := key != ""
		for _, json := range []bool{false, true} {
			r := slog.NewRecord(at, slog.Level(level), msg, 0)
			r.AddAttrs(slog.String("call", val), slog.Duration("duration", time.Duration(d)), slog.Int64("n", n),
				slog.Uint64("u", uint64(n)), slog.Bool("b", n%2 == 0), slog.Time("at", at.Add(time.Duration(d))))
			if flatKey {
				r.AddAttrs(slog.String(key, val))
			}
			y := at.Year()
			ya := at.Add(time.Duration(d)).Year()
			checkLine(t, json, r, flatKey && (!json || (y >= 0 && y < 10000 && ya >= 0 && ya < 10000)))
			if !json {
				r := slog.NewRecord(at, slog.Level(level), msg, 0)
				r.AddAttrs(slog.Float64(val+"f", float64(n)/float64(d|1)))
				checkLine(t, false, r, true)
			}
		}
	})
}

// TestHandlerMatchesSlog: through the Handler and its Writer, a mix of
// flat records and ones left to slog (errors, groups, With) comes out as
// slog's handler writes the same records, line for line and in order.
func TestHandlerMatchesSlog(t *testing.T) {
	for _, json := range []bool{false, true} {
		var out syncBuffer
		w := New(&out, 0, time.Hour)
		var want bytes.Buffer
		opts := &slog.HandlerOptions{Level: slog.LevelDebug}
		var ref slog.Handler = slog.NewTextHandler(&want, opts)
		h := NewTextHandler(w, opts)
		if json {
			ref, h = slog.NewJSONHandler(&want, opts), NewJSONHandler(w, opts)
		}
		fast, slow := slog.New(h), slog.New(ref)
		for _, log := range []func(l *slog.Logger){
			func(l *slog.Logger) {
				l.Info("api", "call", "join", "result", "redirect", "duration", 81*time.Microsecond)
			},
			func(l *slog.Logger) {
				l.Warn("server offline", "server", "bbb 1", "error", errors.New("dial tcp: refused"))
			},
			func(l *slog.Logger) { l.Debug("poll", "servers", 3, "took", 2*time.Millisecond) },
			func(l *slog.Logger) { l.With("instance", "a").Info("api", "call", "end") },
			func(l *slog.Logger) { l.WithGroup("g").Info("grouped", "k", "v") },
			func(l *slog.Logger) { l.Info("group attr", slog.Group("req", "id", 7)) },
			func(l *slog.Logger) { l.Info("float", "load", 0.25) },
			func(l *slog.Logger) { l.Error("quoted \"msg\"", "k", "a=b") },
		} {
			log(fast)
			log(slow)
		}
		w.Close()
		// slog's own lines carry the time of their own call: compare
		// everything but the time.
		if got, want := dropTimes(out.String()), dropTimes(want.String()); got != want {
			t.Errorf("json=%v:\n got %s\nwant %s", json, got, want)
		}
	}
}

// dropTimes removes the time attribute from each line of text or JSON.
func dropTimes(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, "time="); ok {
			_, lines[i], _ = strings.Cut(rest, " ")
		} else if rest, ok := strings.CutPrefix(l, `{"time":"`); ok {
			_, after, _ := strings.Cut(rest, `",`)
			lines[i] = "{" + after
		}
	}
	return strings.Join(lines, "\n")
}

// TestHandlerOptionsLeftToSlog: options the fast line does not implement
// send every record through slog.
func TestHandlerOptionsLeftToSlog(t *testing.T) {
	var out syncBuffer
	w := New(&out, 0, time.Hour)
	rep := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == "secret" {
			a.Value = slog.StringValue("REDACTED")
		}
		return a
	}
	slog.New(NewTextHandler(w, &slog.HandlerOptions{ReplaceAttr: rep})).Info("m", "secret", "s3cr3t")
	slog.New(NewJSONHandler(w, &slog.HandlerOptions{AddSource: true})).Info("m")
	w.Close()
	got := out.String()
	if strings.Contains(got, "s3cr3t") || !strings.Contains(got, "secret=REDACTED") || !strings.Contains(got, `"source":{`) {
		t.Errorf("options not applied: %s", got)
	}
}

// BenchmarkCallLine is the log line of a join, through slog's text and
// JSON handlers (NewHandler) and through the Handler's own line.
func BenchmarkCallLine(b *testing.B) {
	w := New(discard{}, 0, 0)
	defer w.Close()
	for _, tc := range []struct {
		name string
		h    slog.Handler
	}{
		{"slog-text", NewHandler(slog.NewTextHandler(w, nil), w)},
		{"fast-text", NewTextHandler(w, nil)},
		{"slog-json", NewHandler(slog.NewJSONHandler(w, nil), w)},
		{"fast-json", NewJSONHandler(w, nil)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := slog.NewRecord(time.Now(), slog.LevelInfo, "api", 0)
				r.AddAttrs(slog.String("call", "join"), slog.String("meetingID", "bench-room"), slog.String("server", "bbb-3"),
					slog.String("result", "redirect"), slog.Duration("duration", 82124*time.Nanosecond))
				tc.h.Handle(context.Background(), r)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
