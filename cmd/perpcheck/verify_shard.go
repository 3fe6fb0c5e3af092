package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// shard is part i of n (1 <= i <= n) of a verify run: the items whose
// index k in catalogue order has k mod n == i-1.
type shard struct{ i, n int }

// maxShards bounds N of -shard I/N.
const maxShards = 1000

// parseShard parses "I/N".
func parseShard(s string) (shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return shard{}, fmt.Errorf("want I/N with integers 1 <= I <= N, got %q", s)
	}
	if n < 1 || n > maxShards || i < 1 || i > n {
		return shard{}, fmt.Errorf("want 1 <= I <= N <= %d, got %d/%d", maxShards, i, n)
	}
	return shard{i, n}, nil
}

// has reports whether the item at index k belongs to the shard.
func (s shard) has(k int) bool { return k%s.n == s.i-1 }

func (s shard) String() string { return fmt.Sprintf("%d/%d", s.i, s.n) }

// drawSeed returns a random seed for a run that must be reproducible (a
// shard, a JSON result): non-zero and below 2^53, so that it survives JSON
// readers that hold numbers in float64.
func drawSeed() uint64 {
	return rand.Uint64()%(1<<53-1) + 1
}

// isTerminal reports whether w is a terminal (a character device), without
// a terminal library. A variable, so that tests can pretend.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressEvery is the least time between two redraws of the progress line.
var progressEvery = 100 * time.Millisecond

// progress is verify's live status line on stderr: the phase (the
// properties, or the mutant being checked), how many properties of it have
// finished, and each running property with its cases so far. It is off when
// stderr is not a terminal or with -q; the final tables never depend on it.
type progress struct {
	w  io.Writer
	on bool

	mu      sync.Mutex
	label   string
	done    int
	running map[string]int
	last    time.Time
	drawn   bool
}

func newProgress(stderr io.Writer, quiet bool) *progress {
	return &progress{w: stderr, on: !quiet && isTerminal(stderr), running: map[string]int{}}
}

// phase starts a new phase (clearing the line).
func (p *progress) phase(label string) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.label, p.done, p.running = label, 0, map[string]int{}
	p.draw(true)
}

// onCase is properties.Config.OnCase: property id started its n-th case.
func (p *progress) onCase(id string, n int) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[id] = n
	p.draw(false)
}

// finished is called when property id has finished.
func (p *progress) finished(id string) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.running, id)
	p.done++
	p.draw(false)
}

// maxProgressLine bounds the progress line (in bytes; ids are ASCII).
const maxProgressLine = 150

// draw rewrites the line, at most every progressEvery unless force.
func (p *progress) draw(force bool) {
	now := time.Now()
	if !force && now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	ids := make([]string, 0, len(p.running))
	for id := range p.running {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	line := fmt.Sprintf("%s: %d done", p.label, p.done)
	for _, id := range ids {
		line += fmt.Sprintf(", %s %d cases", id, p.running[id])
	}
	if len(line) > maxProgressLine {
		line = line[:maxProgressLine-3] + "..."
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.drawn = true
}

// clear erases the line, if one was drawn.
func (p *progress) clear() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// stop ends the display.
func (p *progress) stop() { p.clear() }
