package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/tinyscale/tinyscale/bbb"
	"github.com/tinyscale/tinyscale/pool"
)

// forward sends the call to s with the given query (already without
// checksum; s's client signs it) under the request timeout. A connection
// that cannot be made takes s offline at once (passive health check).
func (g *Gateway) forward(ctx context.Context, s *pool.Server, c *call, query string) (*bbb.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, g.cfg.RequestTimeout)
	defer cancel()
	return g.do(ctx, s, c, query)
}

// do makes one backend call, observed for metrics and passive health.
// The memory of its answer counts against the backend memory budget until
// the client's request ends.
func (g *Gateway) do(ctx context.Context, s *pool.Server, c *call, query string) (*bbb.Response, error) {
	start := time.Now()
	method, q, body, ct := c.wire(query)
	res, err := s.Client.Do(ctx, method, c.name, q, body, ct)
	g.obs.BackendCall(s.ID, c.name, err, time.Since(start))
	if err != nil {
		g.backendFailed(s, err)
		return nil, err
	}
	if c.r != nil {
		context.AfterFunc(c.r.Context(), res.Release)
	}
	return res, nil
}

// backendFailed logs a failed backend call and, if the server could not be
// reached at all, takes it offline until the poller sees it healthy again.
func (g *Gateway) backendFailed(s *pool.Server, err error) {
	if bbb.IsConnectError(err) && s.MarkOffline(err.Error()) {
		g.log.Warn("server offline: connection failed", "server", s.ID, "error", err)
		return
	}
	g.log.Warn("backend call failed", "server", s.ID, "error", err)
}

// relay passes a backend's XML answer to the client byte for byte and
// returns it parsed. An answer that is not BBB XML (an HTML error page, a
// cut-off body) is replaced by a FAILED internalError, and nil returned.
func (g *Gateway) relay(w http.ResponseWriter, c *call, res *bbb.Response) *bbb.Reply {
	reply := parseBackend(res)
	if reply == nil {
		g.log.Warn("backend answer is not BBB XML", "server", c.server, "status", res.Status)
		c.fail(w, bbb.ErrBackend)
		return nil
	}
	g.writeReply(w, c, res.Body, reply)
	return reply
}

// writeReply passes a backend's answer, already parsed, to the client:
// with the integration's own callback URLs and meeting ID shown.
func (g *Gateway) writeReply(w http.ResponseWriter, c *call, body []byte, reply *bbb.Reply) {
	c.result = result(reply)
	bbb.WriteXML(w, c.unscope(g.restore(body)))
}

// restore shows integrations their own callback URLs where an answer
// (getMeetingInfo's metadata, say) holds tinyscale's relay URLs.
func (g *Gateway) restore(body []byte) []byte {
	if g.cfg.Callbacks == nil {
		return body
	}
	return g.cfg.Callbacks.Restore(body)
}

// parseBackend reads a backend's XML answer, nil if it is not one.
func parseBackend(res *bbb.Response) *bbb.Reply {
	if res.Status != http.StatusOK {
		return nil
	}
	reply, err := bbb.ParseReply(res.Body, nil)
	if err != nil {
		return nil
	}
	return reply
}

// result is how a reply shows in the log: its messageKey, else its returncode.
func result(r *bbb.Reply) string {
	if r.MessageKey != "" {
		return r.MessageKey
	}
	return r.ReturnCode
}
