package asynclog

import (
	"context"
	"log/slog"
)

// Handler is a slog.Handler writing through a Writer. Records at FlushLevel
// and above are written out before Handle returns: warnings and errors are
// rare, and they are the lines that must not wait in memory if the process
// dies next.
type Handler struct {
	slog.Handler
	w *Writer
}

// FlushLevel is the level from which Handler writes each record out at once.
const FlushLevel = slog.LevelWarn

// NewHandler wraps h, which must write to w.
func NewHandler(h slog.Handler, w *Writer) *Handler { return &Handler{Handler: h, w: w} }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= FlushLevel {
		h.w.Flush()
	}
	return err
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{Handler: h.Handler.WithAttrs(attrs), w: h.w}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{Handler: h.Handler.WithGroup(name), w: h.w}
}
