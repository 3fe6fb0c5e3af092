package protocol_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/protocol"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// The test binary doubles as the engine: with PERPCHECK_TEST_ENGINE set,
// TestMain serves the model in that mode instead of running the tests.
func TestMain(m *testing.M) {
	if script := os.Getenv("PERPCHECK_TEST_SCRIPT"); script != "" {
		os.Exit(protocol.ServeScript(os.Stdin, os.Stdout, script))
	}
	if mode := os.Getenv("PERPCHECK_TEST_ENGINE"); mode != "" {
		os.Exit(serveMode(mode))
	}
	os.Exit(m.Run())
}

// serveMode runs a well-behaved model engine ("model") or one that
// misbehaves on evaluate in one way ("hang", "garbage", "crash",
// "wrong-id", "code-99").
func serveMode(mode string) int {
	impl := protocol.Impl{
		Info:     protocol.Info{Engine: "model-under-test", Version: "test", Capabilities: []string{"isolated", "ledger"}},
		Evaluate: model.Evaluate,
		NewLedger: func(st *spec.State) (protocol.LedgerImpl, error) {
			l, err := model.NewLedger(st)
			if err != nil {
				return nil, err
			}
			return l, nil
		},
	}
	switch mode {
	case "slow-init": // an interpreter that takes a while to start
		time.Sleep(400 * time.Millisecond)
	case "declared":
		impl.Info.Variants = protocol.VariantSet{"LQ-4": {"trader", "insurance"}}
		impl.Info.Outputs = protocol.OutputSet{"maintenanceMargin": true, "effects": true}
		impl.Info.Grid = &protocol.Grid{Size: "0.001"}
	case "entry-unsupported": // PR-8 code 10 on a valid scenario
		impl.Info.Capabilities = append(impl.Info.Capabilities, "entry-basis")
		impl.Evaluate = func(s *spec.Scenario) (*spec.Report, error) {
			for name, m := range s.Markets {
				if m.MMBasis == "entry" {
					return nil, fmt.Errorf("market %s: mmBasis entry: %w", name, properties.ErrNotSupported)
				}
			}
			return model.Evaluate(s)
		}
	}
	if mode != "model" && mode != "slow-init" && mode != "declared" && mode != "entry-unsupported" {
		impl.NewLedger = nil
		impl.Evaluate = func(*spec.Scenario) (*spec.Report, error) {
			switch mode {
			case "hang":
				time.Sleep(time.Hour)
			case "garbage":
				fmt.Println("hello from the engine")
			case "crash":
				os.Exit(3)
			case "wrong-id":
				fmt.Println(`{"in_reply_to":999,"type":"evaluate_ok","report":{}}`)
				time.Sleep(time.Hour)
			case "code-99":
				fmt.Println(`{"in_reply_to":2,"type":"error","code":99,"text":"?"}`)
				time.Sleep(time.Hour)
			}
			return nil, errors.New("unreachable")
		}
	}
	if err := protocol.Serve(os.Stdin, os.Stdout, os.Stderr, impl); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func startEngine(t *testing.T, mode string, timeout time.Duration) *protocol.Engine {
	t.Helper()
	e, err := protocol.Start([]string{os.Args[0]}, protocol.Options{Timeout: timeout, Env: []string{"PERPCHECK_TEST_ENGINE=" + mode}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func readScenario(t *testing.T, name string) *spec.Scenario {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", "scenarios", name))
	if err != nil {
		t.Fatal(err)
	}
	var s spec.Scenario
	if err := strictjson.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	r, err := venue.Resolve(&s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Reports and errors through the protocol equal the model's own, exactly.
func TestEvaluateRoundTrip(t *testing.T) {
	e := startEngine(t, "model", 0)
	if got := e.Info(); got.Engine != "model-under-test" || len(got.Capabilities) != 2 {
		t.Fatalf("init_ok: %+v", got)
	}
	var bad *spec.Scenario
	for _, name := range []string{"seed-cross-example-a.json", "seed-xrp-isolated.json", "binance-btcusdt-profile.json"} {
		s := readScenario(t, name)
		want, err := model.Evaluate(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Evaluate(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := spec.Diff(want, got); d != nil {
			t.Errorf("%s: the report changed on the way: %v", name, d)
		}
		bad = s.Clone()
		bad.Account.Positions[0].Size = decimal.RequireFromString("-1")
		_, werr := model.Evaluate(bad)
		_, gerr := e.Evaluate(bad)
		var we, ge *spec.Error
		if !errors.As(werr, &we) || !errors.As(gerr, &ge) || we.Path != ge.Path || we.Rule != ge.Rule {
			t.Errorf("%s: error through the protocol %v, want %v", name, gerr, werr)
		}
	}
	reps, errs, err := e.EvaluateBatch([]*spec.Scenario{readScenario(t, "seed-xrp-isolated.json"), bad})
	if err != nil || reps[0] == nil || errs[1] == nil {
		t.Fatalf("batch: %v %v %v", reps, errs, err)
	}
	if tr := e.Transcript(); len(tr) < 4 || !strings.HasPrefix(tr[0], `> {"id":1,"type":"init"`) || !strings.HasPrefix(tr[1], `< {"in_reply_to":1,"type":"init_ok"`) {
		t.Errorf("transcript: %q", tr)
	}
}

// A ledger session through the protocol gives the effects and states of the
// model's ledger, event by event.
func TestLedgerSession(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "examples", "runs", "seed-example-a.json"))
	if err != nil {
		t.Fatal(err)
	}
	var run spec.Run
	if err := strictjson.Unmarshal(data, &run); err != nil {
		t.Fatal(err)
	}
	resolved, err := venue.Resolve(&spec.Scenario{Markets: run.Markets, Prices: run.Prices})
	if err != nil {
		t.Fatal(err)
	}
	st := run.State.Clone()
	st.Markets = resolved.Markets
	direct, err := model.NewLedger(st)
	if err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, "model", 0)
	s, err := e.OpenLedger(st)
	if err != nil {
		t.Fatal(err)
	}
	for k, ev := range run.Events {
		want, werr := direct.Apply(ev)
		got, gerr := s.Apply(ev)
		if (werr == nil) != (gerr == nil) || spec.Diff(want, got) != nil {
			t.Fatalf("event %d: got %v %v, want %v %v", k, got, gerr, want, werr)
		}
		gs, err := s.State()
		if err != nil {
			t.Fatal(err)
		}
		if d := spec.Diff(direct.State(), gs); d != nil {
			t.Fatalf("event %d: state: %v", k, d)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(run.Events[0]); err == nil {
		t.Fatal("apply on a closed session succeeded")
	}
}

// Every misbehaviour of PR-9 is a *Failure with the transcript, and the
// next request runs on a restarted engine.
func TestProtocolFailures(t *testing.T) {
	s := readScenario(t, "seed-xrp-isolated.json")
	for _, tc := range []struct{ mode, want string }{
		{"hang", "no answer to evaluate within"},
		{"garbage", "not a valid perpcheck/1 message"},
		{"crash", "closed its stdout"},
		{"wrong-id", "in_reply_to 999, want 2"},
		{"code-99", "error code 99"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			e := startEngine(t, tc.mode, 300*time.Millisecond)
			_, err := e.Evaluate(s)
			var f *protocol.Failure
			if !errors.As(err, &f) || !strings.Contains(f.Msg, tc.want) {
				t.Fatalf("got %v, want a failure containing %q", err, tc.want)
			}
			if len(f.Transcript) < 3 || !strings.HasPrefix(f.Transcript[2], `> {"id":2,"type":"evaluate"`) {
				t.Errorf("transcript: %q", f.Transcript)
			}
			if _, err := e.OpenLedger(&spec.State{}); !errors.As(err, new(*protocol.NotSupportedError)) {
				t.Errorf("after a restart, ledger_open on a query-only engine: %v, want not-supported", err)
			}
		})
	}
}
