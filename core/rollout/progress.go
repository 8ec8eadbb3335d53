package rollout

import (
	"fmt"
	"sync"
)

var outMu sync.Mutex

// printf writes one progress line to e.Out (safe from parallel watchers).
func (e *Engine) printf(format string, args ...any) {
	if e.Out == nil {
		return
	}
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Fprintf(e.Out, format, args...)
}

func (e *Engine) clock() Clock {
	if e.Clock == nil {
		return WallClock{}
	}
	return e.Clock
}
