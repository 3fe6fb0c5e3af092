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
	"github.com/perpcheck/perpcheck/internal/wire"
	"github.com/perpcheck/perpcheck/properties"
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
	s := &server{impl: impl, sessions: map[string]LedgerImpl{}, out: bufio.NewWriterSize(w, 1<<16)}
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
		line, rerr := readLineView(in)
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
	line, err := readLineView(in)
	return bytes.Clone(line), err
}

// readLineView is readLine without the copy when the line fits in the
// reader's buffer: the line is then valid only until the next read.
func readLineView(in *bufio.Reader) ([]byte, error) {
	chunk, err := in.ReadSlice('\n')
	if err == nil {
		return chunk[:len(chunk)-1], nil
	}
	if err != bufio.ErrBufferFull {
		return chunk, err
	}
	line := bytes.Clone(chunk)
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
	buf      []byte   // the response being written
	members  []member // splitObject's buffer
}

// handle answers one request line: by the one-pass fast path when the line
// is in its plain form, else by decoding it with encoding/json (as every
// line was decoded before the fast path).
func (s *server) handle(line []byte) {
	if fastPaths && s.fast(line) {
		return
	}
	s.slow(line)
}

// fastPaths enables the one-pass fast paths of both sides (tests turn them
// off to compare).
var fastPaths = true

// fast answers a query or ledger request whose line is a plain object
// (splitObject) with only the members its type uses, all well formed, and
// whose bodies decode strictly; it returns false, having answered nothing,
// for any other line, which the slow path then answers as it always has
// (malformed requests, EVAL-4 errors, unknown fields, init, ...).
func (s *server) fast(line []byte) bool {
	members, ok := splitObject(line, s.members, "scenario", "state", "event")
	if !ok {
		return false
	}
	s.members = members
	var (
		id                     int64
		typ, session           string
		hasID, hasSess         bool
		scenario, state, event []byte
		scenarios              []byte
	)
	for _, m := range members {
		switch m.key {
		case "id":
			id, hasID = jsonInt(m.val)
			if !hasID {
				return false
			}
		case "type":
			if typ, ok = jsonString(m.val); !ok {
				return false
			}
		case "session":
			if session, hasSess = jsonString(m.val); !hasSess {
				return false
			}
		case "scenario":
			scenario = m.val
		case "scenarios":
			scenarios = m.val
		case "state":
			state = m.val
		case "event":
			event = m.val
		default:
			return false
		}
	}
	if !hasID {
		return false
	}
	// The members a type uses: anything else makes the slow path decide.
	switch typ {
	case "evaluate":
		if hasSess || state != nil || event != nil || scenarios != nil || !isObject(scenario) {
			return false
		}
		var sc spec.Scenario
		if strictjson.Unmarshal(scenario, &sc) != nil {
			return false
		}
		rep, err := s.impl.Evaluate(&sc)
		if err != nil {
			s.fail(id, ruleError(err))
			return true
		}
		s.replyReport(id, rep)
		return true
	case "evaluate_batch":
		if hasSess || state != nil || event != nil || scenario != nil || len(scenarios) == 0 || scenarios[0] != '[' {
			return false
		}
		var raws [][]byte
		if !splitArray(scenarios, &raws) {
			return false
		}
		ss := make([]spec.Scenario, len(raws))
		for i, raw := range raws {
			if !isObject(raw) || strictjson.Unmarshal(raw, &ss[i]) != nil {
				return false
			}
		}
		results := make([]batchResult, len(ss))
		for i := range ss {
			rep, err := s.impl.Evaluate(&ss[i])
			if err != nil {
				results[i].Error = ruleError(err)
			} else {
				results[i].Report = rep
			}
		}
		s.replyResults(id, results)
		return true
	case "ledger_open":
		if !hasSess || s.impl.NewLedger == nil || scenario != nil || scenarios != nil || event != nil || !isObject(state) {
			return false
		}
		var st spec.State
		if strictjson.Unmarshal(state, &st) != nil {
			return false
		}
		l, err := s.impl.NewLedger(&st)
		if err != nil {
			s.fail(id, ruleError(err))
			return true
		}
		s.sessions[session] = l
		s.reply(id, "ledger_open_ok", nil)
		return true
	case "apply":
		if !hasSess || scenario != nil || scenarios != nil || state != nil || !isObject(event) {
			return false
		}
		l, ok := s.sessions[session]
		if !ok {
			return false
		}
		var ev spec.Event
		if strictjson.Unmarshal(event, &ev) != nil {
			return false
		}
		effects, err := l.Apply(ev)
		if err != nil {
			s.fail(id, ruleError(err))
			return true
		}
		if effects == nil {
			effects = []spec.Effect{}
		}
		s.reply(id, "apply_ok", func(b []byte) []byte {
			return wire.AppendEffects(append(b, `"effects":`...), effects)
		})
		return true
	case "state", "ledger_close":
		if !hasSess || scenario != nil || scenarios != nil || state != nil || event != nil {
			return false
		}
		l, ok := s.sessions[session]
		if !ok {
			return false
		}
		if typ == "state" {
			s.reply(id, "state_ok", func(b []byte) []byte {
				return wire.AppendState(append(b, `"state":`...), l.State())
			})
			return true
		}
		delete(s.sessions, session)
		s.reply(id, "ledger_close_ok", nil)
		return true
	}
	return false
}

// isObject reports whether a raw member value is an object (so that the
// fast path never meets null or another kind, which the slow path answers).
func isObject(v []byte) bool { return len(v) > 0 && v[0] == '{' }

// splitArray sets *items to the raw elements of the JSON array v, or
// returns false when v is not an array of values splitObject's scan can
// delimit.
func splitArray(v []byte, items *[][]byte) bool {
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		*items = [][]byte{}
		return skipSpace(v, i+1) == len(v)
	}
	for {
		end, ok := skipValue(v, i)
		if !ok {
			return false
		}
		*items = append(*items, v[i:end])
		i = skipSpace(v, end)
		if i >= len(v) {
			return false
		}
		switch v[i] {
		case ',':
			i = skipSpace(v, i+1)
		case ']':
			return i+1 == len(v)
		default:
			return false
		}
	}
}

// slow answers one request line decoded by encoding/json.
func (s *server) slow(line []byte) {
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
		s.reply(req.ID, "init_ok", func(b []byte) []byte {
			info, _ := json.Marshal(s.impl.Info)
			return append(b, info[1:len(info)-1]...)
		})
	case "evaluate":
		rep, body := s.evaluate(req.Scenario)
		if body != nil {
			s.fail(req.ID, body)
			return
		}
		s.replyReport(req.ID, rep)
	case "evaluate_batch":
		results := make([]batchResult, len(req.Scenarios))
		for i, raw := range req.Scenarios {
			results[i].Report, results[i].Error = s.evaluate(raw)
		}
		s.replyResults(req.ID, results)
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
		s.reply(req.ID, "apply_ok", func(b []byte) []byte {
			return wire.AppendEffects(append(b, `"effects":`...), effects)
		})
	case "state":
		if l := s.session(req); l != nil {
			s.reply(req.ID, "state_ok", func(b []byte) []byte {
				return wire.AppendState(append(b, `"state":`...), l.State())
			})
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
	if errors.Is(err, properties.ErrNotSupported) {
		return &errorBody{Code: CodeNotSupported, Text: err.Error()}
	}
	var se *spec.Error
	if errors.As(err, &se) {
		return &errorBody{Code: CodeRuleViolation, Path: se.Path, Rule: se.Rule, Text: se.Msg}
	}
	return &errorBody{Code: CodeRuleViolation, Text: err.Error()}
}

// replyReport answers evaluate_ok with rep.
func (s *server) replyReport(id int64, rep *spec.Report) {
	s.reply(id, "evaluate_ok", func(b []byte) []byte {
		return wire.AppendReport(append(b, `"report":`...), rep)
	})
}

// replyResults answers evaluate_batch_ok with results, as json.Marshal
// writes them.
func (s *server) replyResults(id int64, results []batchResult) {
	s.reply(id, "evaluate_batch_ok", func(b []byte) []byte {
		b = append(b, `"results":[`...)
		for i, r := range results {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if r.Report != nil {
				b = wire.AppendReport(append(b, `"report":`...), r.Report)
			}
			if r.Error != nil {
				if r.Report != nil {
					b = append(b, ',')
				}
				b = appendErrorBody(append(b, `"error":`...), r.Error)
			}
			b = append(b, '}')
		}
		return append(b, ']')
	})
}

// appendErrorBody appends e as json.Marshal writes it.
func appendErrorBody(b []byte, e *errorBody) []byte {
	return append(appendErrorMembers(append(b, '{'), e), '}')
}

// appendErrorMembers appends e's members as json.Marshal writes them.
func appendErrorMembers(b []byte, e *errorBody) []byte {
	b = append(b, `"code":`...)
	b = strconv.AppendInt(b, int64(e.Code), 10)
	if e.Path != "" {
		b = wire.AppendString(append(b, `,"path":`...), e.Path)
	}
	if e.Rule != "" {
		b = wire.AppendString(append(b, `,"rule":`...), e.Rule)
	}
	if e.Text != "" {
		b = wire.AppendString(append(b, `,"text":`...), e.Text)
	}
	return b
}

// reply writes {"in_reply_to":id,"type":typ} with the members body appends
// (none when body is nil).
func (s *server) reply(id int64, typ string, body func([]byte) []byte) {
	b := append(s.buf[:0], `{"in_reply_to":`...)
	b = strconv.AppendInt(b, id, 10)
	b = wire.AppendString(append(b, `,"type":`...), typ)
	if body != nil {
		mark := len(b)
		b = body(append(b, ','))
		if len(b) == mark+1 { // an empty body
			b = b[:mark]
		}
	}
	b = append(b, "}\n"...)
	s.out.Write(b)
	s.buf = b
}

func (s *server) fail(id int64, e *errorBody) {
	b := append(s.buf[:0], `{"in_reply_to":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"type":"error",`...)
	b = append(appendErrorMembers(b, e), "}\n"...)
	s.out.Write(b)
	s.buf = b
}
