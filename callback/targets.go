package callback

import (
	"net/url"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
)

// CheckTargets refuses a create whose callback parameters (the
// meta_*callback/recording-ready URLs and meetingEndedURL, however their
// names are spelled) are not absolute http or https URLs: tinyscale would
// be asked to call file:, gopher: or a relative path later. An empty
// value means no callback and passes.
func CheckTargets(query string) *bbb.Error {
	for pair := range strings.SplitSeq(query, "&") {
		rawKey, rawVal, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil || !isCallbackParam(key) {
			continue
		}
		target, err := url.QueryUnescape(rawVal)
		if err != nil {
			return badTarget(key)
		}
		if strings.TrimSpace(target) != "" && !isHTTPURL(target) {
			return badTarget(key)
		}
	}
	return nil
}

func isCallbackParam(key string) bool {
	if key == "meetingEndedURL" {
		return true
	}
	meta, ok := strings.CutPrefix(key, "meta_")
	return ok && metaKinds[strings.ToLower(meta)] != ""
}

func badTarget(key string) *bbb.Error {
	return &bbb.Error{Key: "validationError", Message: "The " + key + " parameter must be an http or https URL."}
}
