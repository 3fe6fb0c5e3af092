package protocol

import (
	"errors"
	"slices"
	"sync"

	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// Suite puts an engine process under the conformance suite: the
// properties.Factory it returns starts command behind perpcheck/1 for each
// engine the suite asks for (one per property, so properties run in
// parallel never share a process), declares the capabilities the engine
// named in init_ok, and makes the engine a properties.LedgerEngine exactly
// when it declares "ledger". The first engine is started at once, so that a
// command that does not start or does not speak perpcheck/1 is an error
// here; each later one when the suite runs a property against it
// (properties.Starter), so that properties not run start no process. stop
// ends every process started.
//
// Protocol failures (PR-9) reach the suite as errors of Evaluate, NewLedger
// and Apply, and as a panic of a session's State, which the suite reports
// with the failure.
func Suite(command []string, opts Options) (f properties.Factory, stop func(), err error) {
	first, err := Start(command, opts)
	if err != nil {
		return nil, nil, err
	}
	var (
		mu      sync.Mutex
		started = []*Engine{first}
		unused  = first
	)
	stop = func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range started {
			e.Close()
		}
		started = nil
	}
	f = func() (properties.Engine, []properties.Capability) {
		mu.Lock()
		e := unused
		unused = nil
		mu.Unlock()
		if e != nil {
			return Adapt(e)
		}
		// Every later engine is started only for a property that runs
		// (properties.Starter), with the declarations of the first: a
		// process costs its language's start-up (seconds for an engine
		// that imports a large library), and most properties may be not
		// run for an engine that declares few outputs.
		eng, caps := Adapt(first)
		lz := &lazyEngine{start: func() (properties.Engine, error) {
			e, err := Start(command, opts)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			started = append(started, e)
			mu.Unlock()
			eng, _ := Adapt(e)
			return eng, nil
		}}
		if _, ok := eng.(properties.LedgerEngine); ok {
			return lazyLedger{lz}, caps
		}
		return lz, caps
	}
	return f, stop, nil
}

// lazyEngine is an engine whose process starts at Start (or at its first
// call); a failed start is the error of every call.
type lazyEngine struct {
	mu    sync.Mutex
	start func() (properties.Engine, error)
	e     properties.Engine
	err   error
}

// Start starts the engine's process, once.
func (l *lazyEngine) Start() { l.get() }

func (l *lazyEngine) get() (properties.Engine, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.e == nil && l.err == nil {
		l.e, l.err = l.start()
	}
	return l.e, l.err
}

func (l *lazyEngine) Evaluate(s *spec.Scenario) (*spec.Report, error) {
	e, err := l.get()
	if err != nil {
		return nil, err
	}
	return e.Evaluate(s)
}

// lazyLedger is a lazyEngine of an engine that declared "ledger".
type lazyLedger struct{ *lazyEngine }

func (l lazyLedger) NewLedger(st *spec.State) (properties.LedgerSession, error) {
	e, err := l.get()
	if err != nil {
		return nil, err
	}
	le, ok := e.(properties.LedgerEngine)
	if !ok {
		return nil, errors.New("perpcheck/1: the engine no longer declares ledger")
	}
	return le.NewLedger(st)
}

// Adapt returns e as an engine of the suite and the capabilities it
// declared (those the suite knows). It is a properties.LedgerEngine when e
// declared "ledger".
func Adapt(e *Engine) (properties.Engine, []properties.Capability) {
	var caps []properties.Capability
	ledger := false
	for _, c := range properties.AllCapabilities() {
		if slices.Contains(e.Info().Capabilities, string(c)) {
			caps = append(caps, c)
		}
	}
	if slices.Contains(e.Info().Capabilities, "ledger") {
		ledger = true
	}
	caps = append(caps, declared(e.Info())...)
	if ledger {
		return &ledgerEngine{queryEngine{e}, nil}, caps
	}
	return queryEngine{e}, caps
}

// declared returns the capabilities of init_ok's variants (each rule's
// names, properties.VariantCapability), grid (properties.GridCapability)
// and outputs
// (properties.OutputCapability; none when the engine computes them all).
func declared(info Info) []properties.Capability {
	var caps []properties.Capability
	for rule, names := range info.Variants {
		for _, n := range names {
			caps = append(caps, properties.VariantCapability(rule, n))
		}
	}
	if g := info.Grid; g != nil {
		if g.Size != "" {
			caps = append(caps, properties.GridCapability("size", g.Size))
		}
		if g.Price != "" {
			caps = append(caps, properties.GridCapability("price", g.Price))
		}
	}
	for n, ok := range info.Outputs {
		if ok {
			caps = append(caps, properties.OutputCapability(n))
		}
	}
	return caps
}

type queryEngine struct{ e *Engine }

func (q queryEngine) Evaluate(s *spec.Scenario) (*spec.Report, error) {
	q.e.BeginCase()
	return q.e.Evaluate(s)
}

type ledgerEngine struct {
	queryEngine
	open []*Session // oldest first
}

// keepSessions is how many sessions the adapter keeps open in the engine:
// a case opens its own (PR-11), and a relation property compares a few at
// once (a run split in pieces against the whole, a state reloaded); older
// ones are closed so that the engine does not accumulate them.
const keepSessions = 8

// NewLedger opens a session and closes the oldest beyond keepSessions.
func (l *ledgerEngine) NewLedger(st *spec.State) (properties.LedgerSession, error) {
	if len(l.open) >= keepSessions {
		l.open[0].Close()
		l.open = l.open[1:]
	}
	s, err := l.e.OpenLedger(st)
	if err != nil {
		return nil, err
	}
	l.open = append(l.open, s)
	return session{s}, nil
}

type session struct{ s *Session }

func (s session) Apply(ev spec.Event) ([]spec.Effect, error) { return s.s.Apply(ev) }

func (s session) State() *spec.State {
	st, err := s.s.State()
	if err != nil {
		panic(err)
	}
	return st
}
