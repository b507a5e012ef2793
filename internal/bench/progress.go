package bench

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress prints "label n/total" on one line, at most five times a second
// on a terminal, once at the end otherwise.
type progress struct {
	w       io.Writer
	live    bool
	label   string
	n, tot  int
	last    time.Time
	started time.Time
}

func newProgress(w io.Writer, label string, total int) *progress {
	p := &progress{w: w, label: label, tot: total, started: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.live = true
			p.print()
		}
	}
	return p
}

func (p *progress) add(n int) {
	p.n += n
	if p.live && time.Since(p.last) > 200*time.Millisecond {
		p.print()
	}
}

func (p *progress) print() {
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r  %-44s %8d/%-8d", p.label, p.n, p.tot)
}

func (p *progress) done() {
	p.print()
	fmt.Fprintf(p.w, " %.1fs\n", time.Since(p.started).Seconds())
}
