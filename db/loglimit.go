package db

import (
	"sync"
	"time"
)

// LogLimit lets one log line of each kind through per interval and counts the ones it held back. An
// overloaded or stalled database fails or slows every query at once; writing each of those lines, one
// at a time behind the logger's lock, held the requests of the bench's open loop longer than the
// database did (hundreds of goroutines waiting on the lock in a goroutine dump), and a slower server
// made more such lines. A line a second per kind, with how many were held back, says the same.
type LogLimit struct {
	Every time.Duration

	mu   sync.Mutex
	last map[string]time.Time
	held map[string]int
}

// Allow reports whether a line of kind may be written at now and, if so, how many lines of that kind
// were held back since the last one written.
func (l *LogLimit) Allow(kind string, now time.Time) (ok bool, held int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last, l.held = map[string]time.Time{}, map[string]int{}
	}
	if last, seen := l.last[kind]; seen && now.Sub(last) < l.Every {
		l.held[kind]++
		return false, 0
	}
	held = l.held[kind]
	l.last[kind] = now
	delete(l.held, kind)
	return true, held
}
