package deliver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// LinkLocal are the networks never called: cloud metadata services live
// there (169.254.169.254), and no integration does.
var LinkLocal = []netip.Prefix{netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("fe80::/10")}

// ErrDenied is the error of an attempt to dial a denied address.
var ErrDenied = errors.New("callback target is a denied address")

// Targets decides which addresses deliveries may reach: never a
// link-local one, nor one in Deny. The check runs on the address
// actually dialled (net.Dialer.Control), after DNS and for every redirect
// hop, so a name that resolves to a denied address, DNS rebinding and a
// redirect to a denied address are all refused. Loopback and private
// networks are allowed unless listed: tinyscale often runs beside its
// integrations (and the tests call loopback).
type Targets struct {
	Deny []netip.Prefix
}

// ParseDeny reads a comma-separated list of CIDRs or addresses, as in
// TINYSCALE_CALLBACK_DENY ("10.0.0.0/8, 127.0.0.1, fd00::/8").
func ParseDeny(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR (10.0.0.0/8) nor an address (10.1.2.3)", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Denied reports whether a may not be called.
func (t *Targets) Denied(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsUnspecified() {
		// 0.0.0.0 and :: reach this host: as denied as loopback is.
		return t.Denied(netip.MustParseAddr("127.0.0.1")) || t.Denied(netip.IPv6Loopback())
	}
	for _, p := range LinkLocal {
		if p.Contains(a) {
			return true
		}
	}
	for _, p := range t.Deny {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// control is the dialer's Control: it sees the resolved address.
func (t *Targets) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrDenied, address)
	}
	if t.Denied(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrDenied, ap.Addr())
	}
	return nil
}

// maxRedirects bounds the redirects one attempt follows.
const maxRedirects = 5

// Client returns the HTTP client deliveries use: no proxy from the
// environment (the proxy would dial, not the checks), every dial checked,
// redirects followed to http(s) targets only, timeout per attempt.
func (t *Targets) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: t.control}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: checkRedirect}
}

// errBadRedirect stops at a redirect to something other than http(s).
var errBadRedirect = errors.New("redirect to a target that is not http(s)")

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return errBadRedirect
	}
	return nil
}
