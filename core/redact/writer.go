package redact

import (
	"bytes"
	"io"
	"sync"
)

// MaxLine is how much a Writer buffers while waiting for the end of a line; a longer line is
// redacted and written in pieces of this size (a secret straddling such a cut is not recognised).
const MaxLine = 1 << 20

// Writer redacts what is written through it, a whole line at a time: a secret split across two
// Writes is still caught, and so is a private key block spread over many lines. A partial last line
// is held until the next newline, Flush or Close. Safe for concurrent use (each Write's lines are
// kept together).
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	r   *Redactor
	buf []byte
	st  state
}

// NewWriter returns a Writer redacting with r (nil: the patterns only) into w.
func NewWriter(w io.Writer, r *Redactor) *Writer { return &Writer{w: w, r: r} }

// Write buffers p and writes every complete line, redacted. It reports len(p) unless the underlying
// writer failed.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	cut := bytes.LastIndexByte(w.buf, '\n') + 1
	if cut == 0 && len(w.buf) >= MaxLine {
		cut = len(w.buf)
	}
	if cut == 0 {
		return len(p), nil
	}
	err := w.emit(w.buf[:cut])
	w.buf = append(w.buf[:0], w.buf[cut:]...)
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a pending partial line, redacted.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	err := w.emit(w.buf)
	w.buf = w.buf[:0]
	return err
}

// Close flushes; it does not close the underlying writer.
func (w *Writer) Close() error { return w.Flush() }

func (w *Writer) emit(p []byte) error {
	out := w.r.redact(string(p), &w.st)
	if out == "" {
		return nil
	}
	_, err := io.WriteString(w.w, out)
	return err
}

// Lines redacts a stream given as successive complete lines (one or more per call), carrying a
// private key block from one call to the next. Not safe for concurrent use.
type Lines struct {
	r  *Redactor
	st state
}

// Lines returns a stream redactor.
func (r *Redactor) Lines() *Lines { return &Lines{r: r} }

// Redact redacts the next complete lines of the stream ("" when all of them are inside a private key
// block).
func (l *Lines) Redact(s string) string { return l.r.redact(s, &l.st) }
