// Package own gives strings memory of their own.
//
// The parsers of requests and answers cut every string they return from
// one larger string (a request's whole query, an answer's whole text), and
// a substring keeps all of that alive. Tables that outlive a request or a
// poll (placements, reservations, polled meetings) keep their strings
// through Strings, so that each entry keeps its own few bytes only.
package own

import "strings"

// Strings replaces each string pointed to by a copy, all copies sharing
// one allocation: the entry they belong to costs one allocation, not one
// per string, and keeps nothing else alive.
func Strings(ss ...*string) {
	n := 0
	for _, s := range ss {
		n += len(*s)
	}
	if n == 0 {
		return
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range ss {
		b.WriteString(*s)
	}
	all, at := b.String(), 0
	for _, s := range ss {
		l := len(*s)
		*s = all[at : at+l]
		at += l
	}
}
