package testenv

import (
	"strings"
	"sync"
)

// SyncBuffer is an io.Writer a test reads while another goroutine (a process's output copier)
// writes; with Limit > 0 it keeps only the first Limit bytes (a server's log).
type SyncBuffer struct {
	Limit int
	mu    sync.Mutex
	b     strings.Builder
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Limit <= 0 || s.b.Len() < s.Limit {
		s.b.Write(p)
	}
	return len(p), nil
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
