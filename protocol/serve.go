package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/spec"
)

// Impl is a Go implementation that Serve puts behind the protocol.
type Impl struct {
	// Info is answered to init (PR-5).
	Info Info
	// Evaluate answers evaluate and evaluate_batch (PR-6).
	Evaluate func(*spec.Scenario) (*spec.Report, error)
	// NewLedger opens ledger sessions (PR-7); nil answers not-supported.
	NewLedger func(*spec.State) (LedgerImpl, error)
}

// LedgerImpl is one open ledger of an Impl (PR-7): *model.Ledger and
// *reference.Ledger have this method set.
type LedgerImpl interface {
	Apply(ev spec.Event) ([]spec.Effect, error)
	State() *spec.State
}

// MaxLine bounds one message line, in bytes, on both sides of the protocol.
const MaxLine = 256 << 20

// Serve reads requests from r and writes responses to w until r ends
// (PR-4). It returns nil at the end of input, or the error that stopped it:
// a read or write error, or a panic of the implementation (its stack is
// written to log, which may be nil), after which the process should exit
// with a failure status so that the harness sees a crash (PR-9).
func Serve(r io.Reader, w io.Writer, log io.Writer, impl Impl) (err error) {
	s := &server{impl: impl, sessions: map[string]LedgerImpl{}, out: bufio.NewWriter(w)}
	defer func() {
		if p := recover(); p != nil {
			if log != nil {
				fmt.Fprintf(log, "perpcheck/1 engine panic: %v\n%s", p, debug.Stack())
			}
			err = fmt.Errorf("engine panic: %v", p)
		}
	}()
	in := bufio.NewReaderSize(r, 1<<16)
	for {
		line, rerr := readLine(in)
		if len(bytes.TrimSpace(line)) > 0 {
			s.handle(line)
			if err := s.out.Flush(); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// readLine returns the next line without its '\n', or io.EOF after the last.
func readLine(in *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := in.ReadSlice('\n')
		if len(line)+len(chunk) > MaxLine {
			return nil, fmt.Errorf("a line longer than %d bytes", MaxLine)
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == nil {
			line = line[:len(line)-1]
		}
		return line, err
	}
}

type server struct {
	impl     Impl
	sessions map[string]LedgerImpl
	out      *bufio.Writer
}

// handle answers one request line.
func (s *server) handle(line []byte) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil || req.Type == "" {
		msg := "not a request object"
		if err != nil {
			msg = err.Error()
		}
		s.fail(req.ID, &errorBody{Code: CodeMalformedRequest, Text: msg})
		return
	}
	switch req.Type {
	case "init":
		if req.Protocol != Name {
			s.fail(req.ID, &errorBody{Code: CodeNotSupported, Text: "this engine speaks " + Name + ", not " + strconv.Quote(req.Protocol)})
			return
		}
		s.sessions = map[string]LedgerImpl{}
		s.reply(req.ID, "init_ok", func(b *bytes.Buffer) {
			info, _ := json.Marshal(s.impl.Info)
			b.Write(info[1 : len(info)-1])
		})
	case "evaluate":
		rep, body := s.evaluate(req.Scenario)
		if body != nil {
			s.fail(req.ID, body)
			return
		}
		s.reply(req.ID, "evaluate_ok", field("report", rep))
	case "evaluate_batch":
		results := make([]batchResult, len(req.Scenarios))
		for i, raw := range req.Scenarios {
			results[i].Report, results[i].Error = s.evaluate(raw)
		}
		s.reply(req.ID, "evaluate_batch_ok", field("results", results))
	case "ledger_open":
		if s.impl.NewLedger == nil {
			s.fail(req.ID, &errorBody{Code: CodeNotSupported, Text: "this engine has no ledger"})
			return
		}
		var st spec.State
		if err := strictjson.Unmarshal(req.State, &st); err != nil {
			s.fail(req.ID, ruleError(decodeError(err)))
			return
		}
		l, err := s.impl.NewLedger(&st)
		if err != nil {
			s.fail(req.ID, ruleError(err))
			return
		}
		s.sessions[req.Session] = l
		s.reply(req.ID, "ledger_open_ok", nil)
	case "apply":
		l := s.session(req)
		if l == nil {
			return
		}
		var ev spec.Event
		if err := strictjson.Unmarshal(req.Event, &ev); err != nil {
			s.fail(req.ID, ruleError(decodeError(err)))
			return
		}
		effects, err := l.Apply(ev)
		if err != nil {
			s.fail(req.ID, ruleError(err))
			return
		}
		if effects == nil {
			effects = []spec.Effect{}
		}
		s.reply(req.ID, "apply_ok", field("effects", effects))
	case "state":
		if l := s.session(req); l != nil {
			s.reply(req.ID, "state_ok", field("state", l.State()))
		}
	case "ledger_close":
		if l := s.session(req); l != nil {
			delete(s.sessions, req.Session)
			s.reply(req.ID, "ledger_close_ok", nil)
		}
	default:
		s.fail(req.ID, &errorBody{Code: CodeNotSupported, Text: "unknown request type " + strconv.Quote(req.Type)})
	}
}

func (s *server) session(req request) LedgerImpl {
	l, ok := s.sessions[req.Session]
	if !ok {
		s.fail(req.ID, &errorBody{Code: CodeNoSuchSession, Text: "no open session " + strconv.Quote(req.Session)})
		return nil
	}
	return l
}

func (s *server) evaluate(raw json.RawMessage) (*spec.Report, *errorBody) {
	var sc spec.Scenario
	if err := strictjson.Unmarshal(raw, &sc); err != nil {
		return nil, ruleError(decodeError(err))
	}
	rep, err := s.impl.Evaluate(&sc)
	if err != nil {
		return nil, ruleError(err)
	}
	return rep, nil
}

// decodeError turns a strictjson error into SPEC EVAL-4's error.
func decodeError(err error) error {
	var je *strictjson.Error
	if errors.As(err, &je) {
		path := je.Path
		if path == "" {
			path = "$"
		}
		return &spec.Error{Path: path, Rule: "EVAL-4", Msg: je.Msg}
	}
	return err
}

// ruleError is the PR-8 body of an implementation's error.
func ruleError(err error) *errorBody {
	var se *spec.Error
	if errors.As(err, &se) {
		return &errorBody{Code: CodeRuleViolation, Path: se.Path, Rule: se.Rule, Text: se.Msg}
	}
	return &errorBody{Code: CodeRuleViolation, Text: err.Error()}
}

// field writes "name":<json of v>.
func field(name string, v any) func(*bytes.Buffer) {
	return func(b *bytes.Buffer) {
		data, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		b.WriteString(strconv.Quote(name))
		b.WriteByte(':')
		b.Write(data)
	}
}

func (s *server) reply(id int64, typ string, body func(*bytes.Buffer)) {
	var b bytes.Buffer
	b.WriteString(`{"in_reply_to":`)
	b.WriteString(strconv.FormatInt(id, 10))
	b.WriteString(`,"type":`)
	b.WriteString(strconv.Quote(typ))
	if body != nil {
		mark := b.Len()
		b.WriteByte(',')
		body(&b)
		if b.Len() == mark+1 { // an empty body
			b.Truncate(mark)
		}
	}
	b.WriteString("}\n")
	s.out.Write(b.Bytes())
}

func (s *server) fail(id int64, e *errorBody) {
	data, _ := json.Marshal(e)
	var b bytes.Buffer
	b.WriteString(`{"in_reply_to":`)
	b.WriteString(strconv.FormatInt(id, 10))
	b.WriteString(`,"type":"error",`)
	b.Write(data[1:])
	b.WriteByte('\n')
	s.out.Write(b.Bytes())
}
