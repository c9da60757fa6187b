package asynclog

import (
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// appendRecord appends r as slog's TextHandler (json false) or JSONHandler
// (json true) writes it, with no HandlerOptions but Level, no WithAttrs or
// WithGroup: byte for byte, without slog's generic path (a handler state,
// a Resolve, a recover and a kind switch per attribute, a time formatted
// from scratch). It writes only flat records of the kinds API calls log:
// strings, integers, booleans, durations, times (and floats in text). For
// anything else (a group, an error or another value of KindAny, a
// LogValuer, an empty key) it returns false, and the caller lets slog's
// own handler write the record.
//
// Every rule below is slog's (log/slog/handler.go, text_handler.go,
// json_handler.go); line_test.go holds this to slog's output.
//
// On false, b holds a partial line: the caller drops it.
func appendRecord(b []byte, r slog.Record, json bool) ([]byte, bool) {
	if json {
		b = append(b, '{')
	}
	sep := false
	if !r.Time.IsZero() {
		t := r.Time.Round(0) // slog strips the monotonic reading
		if json && !jsonYear(t) {
			return b, false // slog writes an error into the line
		}
		b = appendKey(b, slog.TimeKey, json, &sep)
		b = appendTime(b, t, json)
	}
	b = appendKey(b, slog.LevelKey, json, &sep)
	b = appendString(b, r.Level.String(), json)
	b = appendKey(b, slog.MessageKey, json, &sep)
	b = appendString(b, r.Message, json)
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		if ok = flat(a, json); ok {
			b = appendKey(b, a.Key, json, &sep)
			b = appendValue(b, a.Value, json)
		}
		return ok
	})
	if !ok {
		return b, false
	}
	if json {
		b = append(b, '}')
	}
	return append(b, '\n'), true
}

// flat reports whether appendValue writes a as slog would.
func flat(a slog.Attr, json bool) bool {
	if a.Key == "" {
		return false // slog elides some empty attributes; let it decide
	}
	switch a.Value.Kind() {
	case slog.KindString, slog.KindInt64, slog.KindUint64, slog.KindBool, slog.KindDuration:
		return true
	case slog.KindFloat64:
		return !json // JSON floats go through encoding/json's own rules
	case slog.KindTime:
		return !json || jsonYear(a.Value.Time())
	}
	return false
}

// jsonYear reports whether slog's JSON handler writes t without an error:
// RFC 3339 has four-digit years only.
func jsonYear(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y < 10000
}

// appendKey appends the separator before a key (none before the first),
// the key and its '=' or ':'.
func appendKey(b []byte, key string, json bool, sep *bool) []byte {
	if *sep {
		if json {
			b = append(b, ',')
		} else {
			b = append(b, ' ')
		}
	}
	*sep = true
	b = appendString(b, key, json)
	if json {
		return append(b, ':')
	}
	return append(b, '=')
}

// appendValue appends a value of a kind flat accepts.
func appendValue(b []byte, v slog.Value, json bool) []byte {
	switch v.Kind() {
	case slog.KindString:
		return appendString(b, v.String(), json)
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		return strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		if json {
			return strconv.AppendInt(b, int64(v.Duration()), 10) // as json.Marshal does
		}
		return append(b, v.Duration().String()...)
	case slog.KindTime:
		return appendTime(b, v.Time(), json)
	}
	panic("asynclog: appendValue of a kind flat refuses")
}

// appendString appends s as a text value (bare, or quoted with
// strconv.Quote when slog's needsQuoting says so) or a JSON string.
func appendString(b []byte, s string, json bool) []byte {
	if json {
		b = append(b, '"')
		b = appendEscapedJSON(b, s)
		return append(b, '"')
	}
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

// needsQuoting is slog's rule for a text key or value: empty, or holding
// a space, '=', '"', an ASCII control character, invalid UTF-8, or a rune
// that is a space or not printable.
func needsQuoting(s string) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			return needsQuotingRunes(s[i:])
		} else if !textBare[c] {
			return true
		}
	}
	return false
}

// needsQuotingRunes is needsQuoting from the first non-ASCII byte on.
func needsQuotingRunes(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !textBare[c] {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// textBare holds the ASCII bytes a text value may hold unquoted: those a
// JSON string holds unescaped, and the backslash, but for space and '='.
var textBare = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c == '\\' || (jsonSafe[c] && c != ' ' && c != '=')
	}
	return t
}()

// jsonSafe holds the ASCII bytes a JSON string holds unescaped: all but
// the control characters, '"' and '\' (encoding/json's safeSet).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// appendEscapedJSON is slog's appendEscapedJSONString: s escaped for a JSON
// string (HTML left alone), invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped.
func appendEscapedJSON(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, '\\')
			switch c {
			case '\\', '"':
				b = append(b, c)
			case '\n':
				b = append(b, 'n')
			case '\r':
				b = append(b, 'r')
			case '\t':
				b = append(b, 't')
			default:
				b = append(b, 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// appendTime appends t as slog does: in text RFC 3339 with exactly three
// digits of milliseconds (truncated, not rounded), in JSON a quoted
// time.RFC3339Nano. The date, clock and zone are formatted once a second
// (stamps); only the fraction is written per line.
func appendTime(b []byte, t time.Time, json bool) []byte {
	st := stampOf(t)
	if st == nil {
		// A year of other than four digits: slog's own arithmetic, which
		// is not the stamp's.
		if json {
			b = append(b, '"')
			b = t.AppendFormat(b, time.RFC3339Nano)
			return append(b, '"')
		}
		return appendRFC3339Millis(b, t)
	}
	ns := t.Nanosecond()
	if json {
		b = append(b, '"')
		b = append(b, st.clock...)
		if ns != 0 {
			// RFC3339Nano: nine digits, trailing zeros dropped.
			var frac [10]byte
			frac[0] = '.'
			for i, v := 9, ns; i >= 1; i-- {
				frac[i] = byte('0' + v%10)
				v /= 10
			}
			n := 10
			for frac[n-1] == '0' {
				n--
			}
			b = append(b, frac[:n]...)
		}
		b = append(b, st.zone...)
		return append(b, '"')
	}
	ms := ns / 1e6
	b = append(b, st.clock...)
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(b, st.zone...)
}

// appendRFC3339Millis is slog's text time, as slog computes it.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}

// stamp is the formatted second of a time in one location: what every
// line of that second shares.
type stamp struct {
	unix  int64
	loc   *time.Location
	clock string // "2006-01-02T15:04:05"
	zone  string // "Z" or "-07:00"
}

// lastStamp is the second most recently logged. Lines of one second find
// it here; a line of another second replaces it.
var lastStamp atomic.Pointer[stamp]

// stampOf returns t's second formatted, nil for a year outside 1–9999.
// A zone's offset changes only on a whole second, so the second and the
// location determine both the clock and the zone.
func stampOf(t time.Time) *stamp {
	unix, loc := t.Unix(), t.Location()
	if st := lastStamp.Load(); st != nil && st.unix == unix && st.loc == loc {
		return st
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return nil
	}
	s := t.Truncate(time.Second).Format(time.RFC3339)
	const clockLen = len("2006-01-02T15:04:05")
	st := &stamp{unix: unix, loc: loc, clock: s[:clockLen], zone: s[clockLen:]}
	lastStamp.Store(st)
	return st
}
