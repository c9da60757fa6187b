package asynclog

import (
	"context"
	"log/slog"
	"sync"
)

// Handler is a slog.Handler writing through a Writer. Records at FlushLevel
// and above are written out before Handle returns: warnings and errors are
// rare, and they are the lines that must not wait in memory if the process
// dies next.
//
// A Handler made by NewTextHandler or NewJSONHandler writes the records
// every API call logs (flat: strings, numbers, durations, times) itself,
// byte for byte as slog's handler would (line.go), and leaves every other
// record to slog's handler, which writes to the same Writer.
type Handler struct {
	slog.Handler
	w    *Writer
	kind format
}

// format is how a Handler writes flat records.
type format uint8

const (
	viaSlog format = iota // every record through the slog handler
	asText                // flat records as slog.TextHandler writes them
	asJSON                // flat records as slog.JSONHandler writes them
)

// FlushLevel is the level from which Handler writes each record out at once.
const FlushLevel = slog.LevelWarn

// NewHandler wraps h, which must write to w. Every record goes through h.
func NewHandler(h slog.Handler, w *Writer) *Handler { return &Handler{Handler: h, w: w} }

// NewTextHandler returns a Handler writing to w what
// slog.NewTextHandler(w, opts) writes.
func NewTextHandler(w *Writer, opts *slog.HandlerOptions) *Handler {
	return newHandler(slog.NewTextHandler(w, opts), w, opts, asText)
}

// NewJSONHandler returns a Handler writing to w what
// slog.NewJSONHandler(w, opts) writes.
func NewJSONHandler(w *Writer, opts *slog.HandlerOptions) *Handler {
	return newHandler(slog.NewJSONHandler(w, opts), w, opts, asJSON)
}

func newHandler(h slog.Handler, w *Writer, opts *slog.HandlerOptions, kind format) *Handler {
	if opts != nil && (opts.AddSource || opts.ReplaceAttr != nil) {
		kind = viaSlog // options line.go does not implement
	}
	return &Handler{Handler: h, w: w, kind: kind}
}

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	written := false
	if h.kind != viaSlog {
		written, err = h.handleFlat(r)
	}
	if !written {
		err = h.Handler.Handle(ctx, r)
	}
	if r.Level >= FlushLevel {
		h.w.Flush()
	}
	return err
}

// linePool holds the buffers flat records are formatted in.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// maxPooledLine keeps one huge line from pinning a huge buffer.
const maxPooledLine = 16 << 10

// handleFlat writes r if it is flat, in one Write as slog does, and
// reports whether it did.
func (h *Handler) handleFlat(r slog.Record) (bool, error) {
	bp := linePool.Get().(*[]byte)
	b, ok := appendRecord((*bp)[:0], r, h.kind == asJSON)
	var err error
	if ok {
		_, err = h.w.Write(b)
	}
	if cap(b) <= maxPooledLine {
		*bp = b[:0]
		linePool.Put(bp)
	}
	return ok, err
}

// WithAttrs implements slog.Handler. Its records all go through slog's
// handler, which formats the attributes once.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{Handler: h.Handler.WithAttrs(attrs), w: h.w}
}

// WithGroup implements slog.Handler, as WithAttrs.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{Handler: h.Handler.WithGroup(name), w: h.w}
}
