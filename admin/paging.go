package admin

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Lists answer all their items unless asked for a page: ?offset=N&limit=M
// (limit at most maxPage), after filtering with ?q= (a substring of the
// item's text, any case) and sorting with ?sort=field or ?sort=-field.
// Total is the count after filtering, so a table can page through it.
const maxPage = 1000

type pageReq struct {
	q             string
	offset, limit int // limit 0: all
	sort          string
	desc          bool
}

func readPage(r *http.Request) (pageReq, error) {
	v := r.URL.Query()
	p := pageReq{q: strings.ToLower(strings.TrimSpace(v.Get("q")))}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"offset", &p.offset}, {"limit", &p.limit}} {
		if s := v.Get(f.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return p, fmt.Errorf("%s=%q: want a whole number", f.name, s)
			}
			*f.dst = n
		}
	}
	if p.limit > maxPage {
		p.limit = maxPage
	}
	p.sort, p.desc = strings.CutPrefix(v.Get("sort"), "-")
	return p, nil
}

// matches reports whether any of the texts holds the query.
func (p pageReq) matches(texts ...string) bool {
	if p.q == "" {
		return true
	}
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), p.q) {
			return true
		}
	}
	return false
}

// sortPage sorts items by the key function of the requested field (keys
// must have it; "" keeps the given order), ties broken by tie (the
// items' identity, so the order is total and paging is stable), and
// returns the requested page.
func sortPage[T any](p pageReq, items []T, keys map[string]func(a, b T) int, tie func(a, b T) int) ([]T, error) {
	if p.sort != "" {
		k, ok := keys[p.sort]
		if !ok {
			names := make([]string, 0, len(keys))
			for n := range keys {
				names = append(names, n)
			}
			slices.Sort(names)
			return nil, fmt.Errorf("sort=%q: sort by one of %s (- first for descending)", p.sort, strings.Join(names, ", "))
		}
		slices.SortFunc(items, func(a, b T) int {
			c := k(a, b)
			if p.desc {
				c = -c
			}
			if c == 0 {
				c = tie(a, b)
			}
			return c
		})
	}
	if p.offset >= len(items) {
		return items[:0], nil
	}
	items = items[p.offset:]
	if p.limit > 0 && p.limit < len(items) {
		items = items[:p.limit]
	}
	return items, nil
}
