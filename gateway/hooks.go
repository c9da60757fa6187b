package gateway

import (
	"net/http"
	"strings"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/tenant"
)

// Hooks answers the webhooks API as one bbb-webhooks server does: the
// registry is tinyscale's, not the backends' (package hooks).
type Hooks interface {
	// Serve answers call for tenant t, reading its parameters with p, and
	// returns the XML and the result for the log line.
	Serve(call string, t *tenant.Tenant, p func(key string) (string, bool)) ([]byte, string)
}

// errHooksDisabled answers hooks calls while TINYSCALE_URL is unset: no
// BBB server could send tinyscale the events.
var errHooksDisabled = &bbb.Error{Key: "createHookError", Message: "Webhooks are not enabled on this server: its operator must set TINYSCALE_URL."}

// hooks answers hooks/create, hooks/destroy and hooks/list from
// tinyscale's own registry, for every tenant: each sees and removes only
// its own hooks and receives only its own meetings' events.
func (g *Gateway) hooks(w http.ResponseWriter, c *call) {
	if g.cfg.Hooks == nil {
		c.fail(w, errHooksDisabled)
		return
	}
	body, result := g.cfg.Hooks.Serve(c.name, c.tenant, c.params.Lookup)
	c.result = result
	bbb.WriteXML(w, body)
}

// hooksChecksumMessage is bbb-webhooks' text for a failed checksum.
const hooksChecksumMessage = "You did not pass the checksum security check."

// hooksError gives a failed checksum of a webhooks call bbb-webhooks' text.
func hooksError(name string, e *bbb.Error) *bbb.Error {
	if e.Key == "checksumError" && strings.HasPrefix(name, "hooks/") && e != errTooManyFailures {
		return &bbb.Error{Key: e.Key, Message: hooksChecksumMessage}
	}
	return e
}
