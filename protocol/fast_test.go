package protocol_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/protocol"
	"github.com/perpcheck/perpcheck/spec"
)

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func modelImpl() protocol.Impl {
	return protocol.Impl{
		Info:     protocol.Info{Engine: "model", Capabilities: []string{"ledger"}},
		Evaluate: model.Evaluate,
		NewLedger: func(st *spec.State) (protocol.LedgerImpl, error) {
			return model.NewLedger(st)
		},
	}
}

// serve runs Serve on lines with the fast paths on or off and returns what
// it wrote.
func serve(t *testing.T, lines []string, fast bool) string {
	t.Helper()
	defer protocol.SetFastPaths(fast, true)()
	var out bytes.Buffer
	if err := protocol.Serve(strings.NewReader(strings.Join(lines, "\n")), &out, nil, modelImpl()); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// requestLines are request lines in the plain form the harness writes and
// in every other form the fast path hands to the slow one: generated
// scenarios and ledger runs, and malformed, unusual and hostile lines.
func requestLines(t *testing.T) []string {
	sc := gen.Scenario(gen.Config{Isolated: true, ComputedMark: true}).Example(1)
	S := mustJSON(t, sc)
	run := gen.LedgerRun(gen.Config{Isolated: true, Funding: true}).Example(2)
	St := mustJSON(t, &run.State)
	lines := []string{`{"id":1,"type":"init","protocol":"perpcheck/1","seed":1}`}
	for seed := range 20 {
		s := gen.EdgeScenario(gen.Config{Isolated: true, EntryBasis: true, ComputedMark: true}).Example(seed)
		lines = append(lines, fmt.Sprintf(`{"id":%d,"type":"evaluate","scenario":%s}`, 10+seed, mustJSON(t, s)))
	}
	lines = append(lines, fmt.Sprintf(`{"id":40,"type":"ledger_open","session":"s1","state":%s}`, St))
	for i, ev := range run.Events {
		lines = append(lines, fmt.Sprintf(`{"id":%d,"type":"apply","session":"s1","event":%s}`, 41+i, mustJSON(t, ev)))
	}
	lines = append(lines,
		`{"id":90,"type":"state","session":"s1"}`,
		`{"id":91,"type":"evaluate_batch","scenarios":[`+S+`,null,{"x":1},`+S+`]}`,
		`{"id":92,"type":"evaluate_batch","scenarios":[]}`,
		`{"id":93,"type":"evaluate_batch","scenarios":null}`,
		`{"id":94,"type":"evaluate_batch","scenarios":[`+S+`,]}`,
		`{"id":95,"type":"evaluate_batch","scenarios":[`+S+`]}`,
		`{"id":100,"type":"evaluate","scenario":`+S+`,"extra":1}`,
		`{"id":101,"type":"evaluate","scenario":null}`,
		`{"id":102,"type":"evaluate"}`,
		`{"id":103,"type":"evaluate","scenario":{"bogus":1}}`,
		`{"id":104,"type":"evaluate","scenario":{"markets":{},"markets":{}}}`,
		`{"id":105,"id":106,"type":"evaluate","scenario":`+S+`}`,
		`{"id":"107","type":"evaluate","scenario":`+S+`}`,
		`{"id":1e2,"type":"evaluate","scenario":`+S+`}`,
		`{"ID":109,"Type":"evaluate","Scenario":`+S+`}`,
		`{"id":110,"type":"evalu\u0061te","scenario":`+S+`}`,
		`{"id":111,"type":"evaluate","scenario":`+S+`} trailing`,
		`{"id":112,"type":"evaluate","scenario":{"markets":01}}`,
		`[1,2]`, `"str"`, `{}`, `{"id":113}`, `{"id":114,"type":""}`, `{"id":115,"type":"nonsense"}`,
		` { "id" : 116 , "type" : "evaluate" , "scenario" : `+S+` } `,
		`{"id":-0,"type":"evaluate","scenario":`+S+`}`,
		`{"id":99999999999999999999,"type":"evaluate","scenario":`+S+`}`,
		`{"id":118,"type":"evaluate","scenario":`+S+`,"session":"s1"}`,
		`{"id":119,"type":"evaluate","scenario":{"markets":{"a<b\u2028":{}},"prices":{},"account":{"walletBalance":"1","positions":[]}}}`,
		`{"id":120,"type":"apply","session":"nope","event":{"type":"deposit"}}`,
		`{"id":121,"type":"apply","session":"s1","event":{"type":"deposit","bogus":1}}`,
		`{"id":122,"type":"apply","session":"s1","event":{"type":"deposit","account":"a","amount":"-1"}}`,
		`{"id":123,"type":"apply","session":1,"event":{"type":"deposit"}}`,
		`{"id":124,"type":"apply","session":"s1"}`,
		`{"id":125,"type":"state","session":"nope"}`,
		`{"id":126,"type":"state","session":"s`+"\xff"+`"}`,
		`{"id":127,"type":"ledger_open","session":"s2","state":{"markets":{"x":{"tickSize":"0"}}}}`,
		`{"id":128,"type":"ledger_open","session":"s3","state":{"bogus":true}}`,
		`{"id":129,"type":"ledger_open","state":`+St+`}`,
		`{"id":130,"type":"ledger_close","session":"s1"}`,
		`{"id":131,"type":"ledger_close","session":"s1"}`,
		`{"id":132,"type":"state","session":"s1"}`,
		`{"id":133,"type":"init","protocol":"perpcheck/0"}`,
		`{"id":134,"type":"evaluate","scenario":{"markets":{},"prices":{},"account":{"walletBalance":"1","positions":[]}}`,
		`{"id":136,"type":"evaluate","scenario":`+S+`,"scenario":`+S+`}`,
		`{"scenario":`+S+`,"id":137,"type":"evaluate"}`,
		`{"id":138,"type":"evaluate","scenario":`+S+`,"id":139}`,
		`{"id":135,"type":"evaluate","scenario":{"markets":{},"prices":{},"account":{"walletBalance":"1","positions":[{"market":"\"}"}]}}}`,
	)
	return lines
}

// The engine's answers are byte for byte the same with and without the
// fast path, for every line.
func TestServeFastPathUnchanged(t *testing.T) {
	lines := requestLines(t)
	fast, slow := serve(t, lines, true), serve(t, lines, false)
	fl, sl := strings.Split(fast, "\n"), strings.Split(slow, "\n")
	if len(fl) != len(sl) {
		t.Fatalf("%d answers with the fast path, %d without", len(fl), len(sl))
	}
	for i := range fl {
		if fl[i] != sl[i] {
			t.Errorf("answer %d differs:\n fast %.300s\n slow %.300s", i, fl[i], sl[i])
		}
	}
	// The fast path answers the plain lines by itself: an encoder that
	// breaks the output would show here and in internal/wire's tests.
	if !strings.Contains(fast, `"type":"evaluate_batch_ok","results":[{"report":`) || !strings.Contains(fast, `"type":"apply_ok","effects":[`) {
		t.Errorf("answers lack the expected bodies:\n%.500s", fast)
	}
}

// outcome is what a harness call returned, for comparing the fast path with
// the slow one.
type outcome struct {
	Value      string
	Err        string
	Transcript []string
}

func outcomeOf(t *testing.T, v any, err error, e *protocol.Engine) outcome {
	o := outcome{Value: mustJSON(t, v), Transcript: e.Transcript()}
	if err != nil {
		o.Err = fmt.Sprintf("%T %v", err, err)
		var f *protocol.Failure
		if errors.As(err, &f) {
			o.Transcript = f.Transcript
		}
	}
	return o
}

// scripted starts the scripted engine with responses.
func scripted(t *testing.T, responses []string) *protocol.Engine {
	t.Helper()
	name := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(name, []byte(strings.Join(responses, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := protocol.Start([]string{os.Args[0]}, protocol.Options{Env: []string{"PERPCHECK_TEST_SCRIPT=" + name}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// The harness accepts and rejects every response exactly as it did before
// the fast path, with the same values, errors and transcripts, whether it
// reads responses in the calling goroutine or in a reader goroutine.
func TestClientFastPathUnchanged(t *testing.T) {
	sc := gen.Scenario(gen.Config{}).Example(1)
	rep, err := model.Evaluate(sc)
	if err != nil {
		t.Fatal(err)
	}
	R := mustJSON(t, rep)
	evaluate := []string{
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":` + R + `}`,
		` { "in_reply_to" : $ID , "type" : "evaluate_ok" , "report" : ` + R + ` } `,
		`{"type":"evaluate_ok","report":` + R + `,"in_reply_to":$ID}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":` + R + `,"extra":1}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":` + R + `,"code":0}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":` + R + `,"effects":[]}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":` + R + `,"report":` + R + `}`,
		`{"report":` + R + `,"in_reply_to":$ID,"type":"evaluate_ok"}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":` + R + `,"in_reply_to":1}`,
		`{"in_reply_to":$ID,"in_reply_to":$ID,"type":"evaluate_ok","report":` + R + `}`,
		`{"In_Reply_To":$ID,"type":"evaluate_ok","Report":` + R + `}`,
		`{"in_reply_to":$ID,"type":"evaluate\u005fok","report":` + R + `}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":null}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok"}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":{"bogus":1}}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":{"prices":{},"prices":{}}}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":{"prices":01}}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":[]}`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":` + R + `} trailing`,
		`{"in_reply_to":$ID,"type":"evaluate_ok","report":` + R,
		`{"in_reply_to":1$ID,"type":"evaluate_ok","report":` + R + `}`,
		`{"in_reply_to":"$ID","type":"evaluate_ok","report":` + R + `}`,
		`{"in_reply_to":null,"type":"evaluate_ok","report":` + R + `}`,
		`{"in_reply_to":$ID,"type":"apply_ok","report":` + R + `}`,
		`{"in_reply_to":$ID,"type":"error","code":1001,"path":"account.positions[0].size","rule":"POS-1","text":"bad <size>"}`,
		`{"in_reply_to":$ID,"type":"error","code":1001,"path":"a","rule":"R","text":"\u00e9\n"}`,
		`{"in_reply_to":$ID,"type":"error","code":10,"text":"no"}`,
		`{"in_reply_to":$ID,"type":"error","code":99,"text":"?"}`,
		`{"in_reply_to":$ID,"type":"error"}`,
		`{"in_reply_to":$ID,"type":"error","code":"1001"}`,
		`{"in_reply_to":$ID,"type":"error","code":1001,"report":` + R + `}`,
		`{"in_reply_to":$ID,"type":"error","code":1001,"text":null}`,
		`not json`, `[]`, `{}`,
	}
	batch := []string{
		`{"in_reply_to":$ID,"type":"evaluate_batch_ok","results":[{"report":` + R + `},{"error":{"code":1001,"path":"p","rule":"R"}}]}`,
		`{"in_reply_to":$ID,"type":"evaluate_batch_ok","results":[{"report":` + R + `},{"error":{"code":99}}]}`,
		`{"in_reply_to":$ID,"type":"evaluate_batch_ok","results":[{"report":` + R + `}]}`,
		`{"in_reply_to":$ID,"type":"evaluate_batch_ok","results":[{"report":` + R + `},{}]}`,
		`{"in_reply_to":$ID,"type":"evaluate_batch_ok","results":[{"report":` + R + `},{"report":null}]}`,
		`{"in_reply_to":$ID,"type":"evaluate_batch_ok","results":[{"report":` + R + `,"x":1},{"report":` + R + `}]}`,
		`{"in_reply_to":$ID,"type":"evaluate_batch_ok","results":[{"report":` + R + `},{"report":` + R + `,"error":{"code":1001}}]}`,
		`{"in_reply_to":$ID,"type":"evaluate_batch_ok","results":null}`,
	}
	ledger := []string{
		`{"in_reply_to":$ID,"type":"apply_ok","effects":[]}`,
		`{"in_reply_to":$ID,"type":"apply_ok","effects":[{"event":0,"type":"posting","from":"a","to":"b","amount":"1.5","size":null,"price":null}]}`,
		`{"in_reply_to":$ID,"type":"apply_ok","effects":[{"event":0,"type":"posting","bogus":1}]}`,
		`{"in_reply_to":$ID,"type":"apply_ok","effects":null}`,
		`{"in_reply_to":$ID,"type":"apply_ok","effects":{}}`,
		`{"in_reply_to":$ID,"type":"apply_ok"}`,
		`{"in_reply_to":$ID,"type":"error","code":1001,"path":"event","rule":"LED-5","text":"no"}`,
	}
	for _, direct := range []bool{true, false} {
		call := func(fast bool, responses []string, f func(e *protocol.Engine) (any, error)) outcome {
			defer protocol.SetFastPaths(fast, direct)()
			e := scripted(t, responses)
			v, err := f(e)
			return outcomeOf(t, v, err, e)
		}
		check := func(what string, responses []string, f func(e *protocol.Engine) (any, error)) {
			fast, slow := call(true, responses, f), call(false, responses, f)
			if !reflect.DeepEqual(fast, slow) {
				t.Errorf("direct=%v %s: %.200q\n fast %+.600v\n slow %+.600v", direct, what, responses, fast, slow)
			}
		}
		for _, r := range evaluate {
			check("evaluate", []string{r}, func(e *protocol.Engine) (any, error) { return e.Evaluate(sc) })
		}
		for _, r := range batch {
			check("evaluate_batch", []string{r}, func(e *protocol.Engine) (any, error) {
				reps, errs, err := e.EvaluateBatch([]*spec.Scenario{sc, sc})
				return []any{reps, fmt.Sprint(errs)}, err
			})
		}
		open := `{"in_reply_to":$ID,"type":"ledger_open_ok"}`
		st := &gen.LedgerRun(gen.Config{}).Example(1).State
		for _, r := range ledger {
			check("apply", []string{open, r}, func(e *protocol.Engine) (any, error) {
				s, err := e.OpenLedger(st)
				if err != nil {
					return nil, err
				}
				return s.Apply(spec.Event{Type: spec.EventDeposit, Account: "a"})
			})
		}
		for _, r := range []string{open, `{"in_reply_to":$ID,"type":"ledger_open_ok","state":null}`, `{"in_reply_to":$ID,"type":"ledger_open_ok","x":1}`} {
			check("ledger_open", []string{r, `{"in_reply_to":$ID,"type":"state_ok","state":` + mustJSON(t, st) + `}`, `{"in_reply_to":$ID,"type":"ledger_close_ok"}`},
				func(e *protocol.Engine) (any, error) {
					s, err := e.OpenLedger(st)
					if err != nil {
						return nil, err
					}
					got, err := s.State()
					if err != nil {
						return nil, err
					}
					return got, s.Close()
				})
		}
	}
}

// The request lines are those encoding/json wrote before internal/wire:
// {"id":N,"type":T} then the request's members in the order of the old
// request struct, bodies as json.Marshal writes them.
func TestRequestLinesUnchanged(t *testing.T) {
	e := startEngine(t, "model", 0)
	sc := gen.Scenario(gen.Config{Isolated: true}).Example(3)
	run := gen.LedgerRun(gen.Config{}).Example(3)
	e.BeginCase()
	e.Evaluate(sc)
	e.EvaluateBatch([]*spec.Scenario{sc, nil})
	e.EvaluateBatch(nil)
	s, err := e.OpenLedger(&run.State)
	if err != nil {
		t.Fatal(err)
	}
	s.Apply(run.Events[0])
	s.State()
	s.Close()
	want := []string{
		`{"id":2,"type":"evaluate","scenario":` + mustJSON(t, sc) + `}`,
		`{"id":3,"type":"evaluate_batch","scenarios":[` + mustJSON(t, sc) + `,null]}`,
		`{"id":4,"type":"evaluate_batch"}`,
		`{"id":5,"type":"ledger_open","session":"s1","state":` + mustJSON(t, &run.State) + `}`,
		`{"id":6,"type":"apply","session":"s1","event":` + mustJSON(t, run.Events[0]) + `}`,
		`{"id":7,"type":"state","session":"s1"}`,
		`{"id":8,"type":"ledger_close","session":"s1"}`,
	}
	var got []string
	for _, l := range e.Transcript()[2:] {
		if strings.HasPrefix(l, "> ") {
			got = append(got, l[2:])
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("request lines:\n got  %q\n want %q", got, want)
	}
}
