// Package asynclog takes log writing off the request path: a Writer
// collects the lines a slog handler writes into a buffer in memory, and one
// goroutine of its own writes them to the real destination (stderr) in
// batches. A request pays for a copy into memory, not for a write system
// call per line.
//
// Nothing is dropped. When the buffer is full because the destination is
// slower than the lines come (a stalled pipe, a full disk), Write waits
// until the drainer has taken the buffer, as a synchronous write would have
// waited: back-pressure instead of lost lines. Close writes out everything
// written before it, so a clean stop loses no line; a crash (kill -9) loses
// at most the lines of the last flush interval. Records at Warn and above
// are written out at once by the Handler (see NewHandler), so the lines an
// operator looks for after a crash are there.
package asynclog

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for New.
const (
	// DefaultSize bounds the lines held in memory: at 30,000 requests per
	// second (about 4.5 MB/s of log) that is a fifth of a second of slack
	// for a slow destination before requests wait.
	DefaultSize = 1 << 20
	// DefaultInterval is how long a line waits at most before it is
	// written out when few come.
	DefaultInterval = 20 * time.Millisecond
)

// Writer is an io.Writer that buffers and writes out asynchronously. It is
// safe for concurrent use. Each Write is kept whole and in order.
type Writer struct {
	out      io.Writer
	size     int // the most bytes held before Write waits
	high     int // the drainer is woken early above this
	interval time.Duration

	mu     sync.Mutex
	room   *sync.Cond // signalled when the drainer took the buffer
	buf    []byte     // lines not yet taken by the drainer
	spare  []byte     // the drainer's buffer, reused
	closed bool

	// flushMu orders the writes to out: the drainer's and Flush's.
	flushMu sync.Mutex

	wake chan struct{} // cap 1: the buffer has lines, or passed high
	stop chan struct{}
	done chan struct{}

	waits atomic.Int64
	once  sync.Once
}

// New returns a Writer over out holding at most size bytes (DefaultSize if
// 0 or less), whose lines are written out at least every interval
// (DefaultInterval if 0 or less), and starts its drainer. Close it to
// write out the rest and stop the drainer.
func New(out io.Writer, size int, interval time.Duration) *Writer {
	if size <= 0 {
		size = DefaultSize
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	w := &Writer{
		out: out, size: size, high: size / 8, interval: interval,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	w.room = sync.NewCond(&w.mu)
	go w.drain()
	return w
}

// Write copies p into the buffer and returns; it waits only while the
// buffer is full. After Close it writes p out directly.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	for !w.closed && len(w.buf) > 0 && len(w.buf)+len(p) > w.size {
		// Full: let the drainer take the buffer. A Write larger than the
		// whole buffer goes in alone, once it is empty.
		w.waits.Add(1)
		w.signal()
		w.room.Wait()
	}
	if w.closed {
		defer w.mu.Unlock()
		return w.out.Write(p)
	}
	was := len(w.buf)
	w.buf = append(w.buf, p...)
	if was == 0 || (was < w.high && len(w.buf) >= w.high) {
		w.signal()
	}
	w.mu.Unlock()
	return len(p), nil
}

// signal wakes the drainer without waiting.
func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Waits counts the Writes that had to wait for room: how often the
// destination was slower than the log.
func (w *Writer) Waits() int64 { return w.waits.Load() }

// drain writes the buffer out: interval after the first line of a batch,
// or at once when it passes its high mark.
func (w *Writer) drain() {
	defer close(w.done)
	t := time.NewTimer(w.interval)
	t.Stop()
	for {
		select {
		case <-w.wake:
		case <-w.stop:
			w.Flush()
			return
		}
		t.Reset(w.interval)
		select {
		case <-t.C:
		case <-w.wake: // past the high mark, or full
			t.Stop()
		case <-w.stop:
			t.Stop()
			w.Flush()
			return
		}
		w.Flush()
	}
}

// Flush writes out everything written so far before it returns.
func (w *Writer) Flush() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	b := w.buf
	w.buf = w.spare[:0]
	w.spare = nil
	w.room.Broadcast()
	w.mu.Unlock()
	var err error
	if len(b) > 0 {
		_, err = w.out.Write(b)
	}
	// A burst may have grown the buffer far past its size; do not keep
	// that much memory for good.
	if cap(b) > 2*w.size {
		b = nil
	}
	w.mu.Lock()
	w.spare = b[:0]
	w.mu.Unlock()
	return err
}

// Close writes out everything written before it and stops the drainer;
// later Writes go straight to the destination. It is safe to call twice.
func (w *Writer) Close() error {
	w.once.Do(func() {
		close(w.stop)
		<-w.done
		w.flushMu.Lock()
		defer w.flushMu.Unlock()
		w.mu.Lock()
		defer w.mu.Unlock()
		w.closed = true
		// Lines written after the drainer's last flush; under mu, so that
		// they go out before any later Write's.
		if len(w.buf) > 0 {
			w.out.Write(w.buf)
		}
		w.buf, w.spare = nil, nil
		w.room.Broadcast()
	})
	return nil
}
