package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/internal/wire"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// Options configure Start.
type Options struct {
	// Timeout bounds the wait for each response but init's (PR-9); 0
	// means 10 s.
	Timeout time.Duration
	// InitTimeout bounds the wait for init_ok, which includes the engine's
	// start-up (an interpreter loading its libraries under load can take
	// half a minute; PR-9); 0 means DefaultInitTimeout.
	InitTimeout time.Duration
	// Seed is sent in init (PR-10).
	Seed uint64
	// Spec is sent in init as the SPEC revision; "" sends "SPEC.md".
	Spec string
	// Dir is the engine's working directory; "" means the current one.
	Dir string
	// Env holds extra "KEY=value" environment variables for the engine, on
	// top of the harness's own environment.
	Env []string
	// Stderr, if not nil, receives the engine's standard error as well as
	// the tail Failure keeps.
	Stderr io.Writer
}

// Failure is a protocol failure (PR-9): the engine crashed, hung, wrote
// something that is not a response to the request in flight, or answered
// with an error code that fails the case. The engine is restarted on the
// next request.
type Failure struct {
	// Msg says what went wrong.
	Msg string
	// Transcript is the exchange of the current case up to the failure
	// (PR-12), one line per message.
	Transcript []string
	// Stderr is the last part of what the engine wrote to its standard error.
	Stderr string
}

func (f *Failure) Error() string { return "perpcheck/1: " + f.Msg }

// NotSupportedError is the engine's answer with code 10 (PR-8): the
// request, or a feature of its input, is not implemented. The suite reports
// what needed it as not run.
type NotSupportedError struct {
	// Request is the request type that was refused.
	Request string
	// Text is the engine's explanation.
	Text string
}

func (e *NotSupportedError) Error() string {
	return "perpcheck/1: " + e.Request + " not supported: " + e.Text
}

// Unwrap returns properties.ErrNotSupported, so that the suite reports the
// property that met the answer as not run (never passed, never failed).
func (e *NotSupportedError) Unwrap() error { return properties.ErrNotSupported }

// DefaultInitTimeout is Options.InitTimeout's default.
const DefaultInitTimeout = 120 * time.Second

// Engine is a running engine process behind perpcheck/1: the harness side
// of the protocol. It is not safe for concurrent use (PR-3: one request in
// flight).
type Engine struct {
	command []string
	opts    Options
	info    Info

	proc   *exec.Cmd
	stdin  io.WriteCloser
	lines  chan []byte
	readEr chan error
	// direct, when the engine's stdout supports read deadlines (a pipe on
	// most systems), is read in the calling goroutine instead of by a
	// reader goroutine: one goroutine hand-off less per response.
	direct  *os.File
	in      *bufio.Reader
	buf     []byte   // the request being written
	members []member // splitObject's buffer
	gen     int      // incremented at every (re)start
	nextID  int64
	nextS   int

	initLines, caseLines []string
	stderr               *tail
}

// Start runs command (the program and its arguments) and performs the init
// handshake (PR-5).
func Start(command []string, opts Options) (*Engine, error) {
	if len(command) == 0 {
		return nil, errors.New("perpcheck/1: no engine command")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.InitTimeout <= 0 {
		opts.InitTimeout = DefaultInitTimeout
	}
	if opts.Spec == "" {
		opts.Spec = "SPEC.md"
	}
	e := &Engine{command: slices.Clone(command), opts: opts, stderr: &tail{max: 8 << 10}}
	if err := e.start(); err != nil {
		return nil, err
	}
	return e, nil
}

// Info is what the engine declared in init_ok.
func (e *Engine) Info() Info { return e.info }

// Command is the engine's command line.
func (e *Engine) Command() []string { return slices.Clone(e.command) }

// BeginCase starts a new transcript (PR-12): Transcript returns the init
// exchange of the running process and everything sent and received since.
func (e *Engine) BeginCase() { e.caseLines = e.caseLines[:0] }

// Transcript returns the current case's exchange, requests prefixed by "> "
// and responses by "< ".
func (e *Engine) Transcript() []string {
	return append(slices.Clone(e.initLines), e.caseLines...)
}

// Close ends the engine: its stdin is closed and it is given a second to
// exit before it is killed.
func (e *Engine) Close() error {
	if e.proc == nil {
		return nil
	}
	e.stdin.Close()
	done := make(chan error, 1)
	proc := e.proc
	go func() { done <- proc.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Second):
		proc.Process.Kill()
		err = <-done
	}
	e.proc = nil
	return err
}

func (e *Engine) start() error {
	cmd := exec.Command(e.command[0], e.command[1:]...)
	cmd.Dir = e.opts.Dir
	if len(e.opts.Env) > 0 {
		cmd.Env = append(os.Environ(), e.opts.Env...)
	}
	var w io.Writer = e.stderr
	if e.opts.Stderr != nil {
		w = io.MultiWriter(e.stderr, e.opts.Stderr)
	}
	cmd.Stderr = w
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("perpcheck/1: starting %s: %w", e.command[0], err)
	}
	e.proc, e.stdin = cmd, stdin
	e.lines, e.readEr, e.direct, e.in = nil, nil, nil, nil
	e.gen++
	if f, ok := stdout.(*os.File); ok && directReads && f.SetReadDeadline(time.Time{}) == nil {
		e.direct, e.in = f, bufio.NewReaderSize(f, 1<<16)
	} else {
		e.lines, e.readEr = make(chan []byte), make(chan error, 1)
		go e.readLines(stdout, e.lines, e.readEr)
	}
	e.initLines = e.initLines[:0]
	seed := e.opts.Seed
	var resp response
	raw, err := e.roundTrip(request{Type: "init", Protocol: Name, Spec: e.opts.Spec, Seed: &seed}, &resp, true)
	if err != nil {
		return err
	}
	if resp.Type == "error" {
		e.kill()
		return &Failure{Msg: "init refused: " + resp.errorBody().Text, Transcript: e.Transcript(), Stderr: e.stderr.String()}
	}
	var info Info
	dec := json.NewDecoder(bytes.NewReader(stripEnvelope(raw)))
	dec.DisallowUnknownFields() // as strictjson, which has no custom decoders (Info's sets)
	if err := dec.Decode(&info); err != nil {
		return e.failure("init_ok is not valid: " + err.Error())
	}
	e.info = info
	return nil
}

// directReads lets Start read responses in the calling goroutine when it
// can (tests turn it off to cover the reader goroutine).
var directReads = true

// readLines is the reader goroutine of an engine whose stdout has no read
// deadlines: it sends each line to lines, then the error that ended them.
func (e *Engine) readLines(stdout io.Reader, lines chan<- []byte, errs chan<- error) {
	in := bufio.NewReaderSize(stdout, 1<<16)
	for {
		line, err := readLine(in)
		if len(line) > 0 {
			lines <- line
		}
		if err != nil {
			errs <- err
			close(lines)
			return
		}
	}
}

// response is the envelope of every response.
type response struct {
	InReplyTo int64           `json:"in_reply_to"`
	Type      string          `json:"type"`
	Code      int             `json:"code"`
	Path      string          `json:"path"`
	Rule      string          `json:"rule"`
	Text      string          `json:"text"`
	Report    json.RawMessage `json:"report"`
	Results   json.RawMessage `json:"results"`
	Effects   json.RawMessage `json:"effects"`
	State     json.RawMessage `json:"state"`
}

func (r *response) errorBody() errorBody {
	return errorBody{Code: r.Code, Path: r.Path, Rule: r.Rule, Text: r.Text}
}

// stripEnvelope removes in_reply_to and type from an init_ok line so that
// the rest decodes strictly as Info.
func stripEnvelope(raw []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	delete(m, "in_reply_to")
	delete(m, "type")
	out, _ := json.Marshal(m)
	return out
}

// roundTrip sends req (giving it the next id) and waits for its response.
// Protocol failures kill the process and return a *Failure.
func (e *Engine) roundTrip(req request, resp *response, isInit bool) ([]byte, error) {
	if e.proc == nil {
		if err := e.start(); err != nil {
			return nil, err
		}
		e.caseLines = append(e.caseLines, "# engine restarted")
	}
	e.nextID++
	req.ID = e.nextID
	line, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	out, err := e.exchange(req.Type, req.ID, line, isInit)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	if !isInit {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(resp); err != nil {
		return nil, e.failure("the response is not a valid perpcheck/1 message: " + err.Error())
	}
	return out, nil
}

// exchange writes one request line and reads its response line, checking
// that it is a JSON object answering id with typ_ok or error (PR-9).
func (e *Engine) exchange(typ string, id int64, line []byte, isInit bool) ([]byte, error) {
	out, err := e.send(typ, line, isInit, false)
	if err != nil {
		return nil, err
	}
	if err := e.checkEnvelope(typ, id, out); err != nil {
		return nil, err
	}
	return out, nil
}

// send writes one request line and reads the response line, recording
// both in the transcript. With view set, the line returned may be a view
// of the read buffer, valid until the next read.
func (e *Engine) send(typ string, line []byte, isInit, view bool) ([]byte, error) {
	e.record(isInit, "> "+string(line))
	if _, err := e.stdin.Write(append(line, '\n')); err != nil {
		return nil, e.failure("writing the request: " + err.Error())
	}
	var out []byte
	timeout := e.opts.Timeout
	if isInit {
		timeout = e.opts.InitTimeout
	}
	if e.direct != nil {
		e.direct.SetReadDeadline(time.Now().Add(timeout))
		var err error
		out, err = readLineView(e.in)
		switch {
		case err == io.EOF && len(out) > 0: // a last line without '\n'
			view = false
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, e.failure(fmt.Sprintf("no answer to %s within %s", typ, timeout))
		case err == io.EOF:
			return nil, e.failure("the engine closed its stdout (exited?) before answering " + typ)
		case err != nil:
			return nil, e.failure("reading the response: " + err.Error())
		}
		if !view {
			out = bytes.Clone(out)
		}
	} else {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		select {
		case line, ok := <-e.lines:
			if !ok {
				err := <-e.readEr
				if err == io.EOF {
					return nil, e.failure("the engine closed its stdout (exited?) before answering " + typ)
				}
				return nil, e.failure("reading the response: " + err.Error())
			}
			out = line
		case <-timer.C:
			return nil, e.failure(fmt.Sprintf("no answer to %s within %s", typ, timeout))
		}
	}
	e.record(isInit, "< "+string(out))
	return out, nil
}

// checkEnvelope checks that out is a JSON object answering id with typ_ok
// or error (PR-9).
func (e *Engine) checkEnvelope(typ string, id int64, out []byte) error {
	var env struct {
		InReplyTo *int64 `json:"in_reply_to"`
		Type      string `json:"type"`
	}
	if err := json.Unmarshal(out, &env); err != nil || env.InReplyTo == nil {
		msg := "no in_reply_to"
		if err != nil {
			msg = err.Error()
		}
		return e.failure("the response is not a valid perpcheck/1 message: " + msg)
	}
	if *env.InReplyTo != id {
		return e.failure(fmt.Sprintf("in_reply_to %d, want %d", *env.InReplyTo, id))
	}
	if env.Type != typ+"_ok" && env.Type != "error" {
		return e.failure(fmt.Sprintf("response type %q to a %s request", env.Type, typ))
	}
	return nil
}

// begin starts the line of a request of type typ in the engine's buffer,
// with the next id, restarting the engine first if it is not running.
func (e *Engine) begin(typ string) ([]byte, int64, error) {
	if e.proc == nil {
		if err := e.start(); err != nil {
			return nil, 0, err
		}
		e.caseLines = append(e.caseLines, "# engine restarted")
	}
	e.nextID++
	b := append(e.buf[:0], `{"id":`...)
	b = strconv.AppendInt(b, e.nextID, 10)
	b = wire.AppendString(append(b, `,"type":`...), typ)
	return b, e.nextID, nil
}

// do sends the request begun by begin (its members appended to line) and
// reads the response in one pass (the fast path): when the response is in
// the plain form (splitObject) with only the members of typ_ok or error,
// in_reply_to is id and the body member bodyKey ("" for none) decodes
// strictly into dst, fast is true and err is the error response's error, if
// any. Otherwise fast is false and the caller hands out to slowBody, the
// checks and decoding as they were before the fast path, which accept and
// reject exactly what they always have.
func (e *Engine) do(typ string, id int64, line []byte, bodyKey string, dst any) (out []byte, fast bool, err error) {
	line = append(line, '}')
	e.buf = line
	out, err = e.send(typ, line, false, true)
	if err != nil {
		return nil, false, err
	}
	if !fastPaths {
		return out, false, nil
	}
	members, ok := splitObject(out, e.members, bodyKey)
	if !ok {
		return out, false, nil
	}
	e.members = members
	var (
		rtype   string
		gotID   bool
		body    []byte
		eb      errorBody
		errKeys bool
	)
	for _, m := range members {
		switch m.key {
		case "in_reply_to":
			v, ok := jsonInt(m.val)
			if !ok || v != id {
				return out, false, nil
			}
			gotID = true
		case "type":
			if rtype, ok = jsonString(m.val); !ok {
				return out, false, nil
			}
		case "code":
			c, ok := jsonInt(m.val)
			if !ok {
				return out, false, nil
			}
			eb.Code, errKeys = int(c), true
		case "path", "rule", "text":
			v, ok := jsonString(m.val)
			if !ok {
				return out, false, nil
			}
			switch m.key {
			case "path":
				eb.Path = v
			case "rule":
				eb.Rule = v
			default:
				eb.Text = v
			}
			errKeys = true
		default:
			if m.key != bodyKey || bodyKey == "" {
				return out, false, nil
			}
			body = m.val
		}
	}
	switch {
	case !gotID:
		return out, false, nil
	case rtype == "error" && body == nil:
		return out, true, e.codeError(typ, eb)
	case len(rtype) != len(typ)+3 || !strings.HasPrefix(rtype, typ) || !strings.HasSuffix(rtype, "_ok") || errKeys:
		return out, false, nil
	case bodyKey == "":
		return out, true, nil
	case len(body) == 0 || (body[0] != '{' && body[0] != '['):
		return out, false, nil
	case strictjson.Unmarshal(body, dst) != nil:
		return out, false, nil
	}
	return out, true, nil
}

// slowBody checks and decodes a response line as every response was
// before the fast path of do: the envelope (PR-9) strictly, error codes
// (PR-8), and it returns the raw body member bodyKey.
func (e *Engine) slowBody(typ string, id int64, out []byte, bodyKey string) ([]byte, error) {
	if err := e.checkEnvelope(typ, id, out); err != nil {
		return nil, err
	}
	var resp response
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&resp); err != nil {
		return nil, e.failure("the response is not a valid perpcheck/1 message: " + err.Error())
	}
	if resp.Type == "error" {
		return nil, e.codeError(typ, resp.errorBody())
	}
	switch bodyKey {
	case "report":
		return resp.Report, nil
	case "results":
		return resp.Results, nil
	case "effects":
		return resp.Effects, nil
	case "state":
		return resp.State, nil
	}
	return nil, nil
}

func (e *Engine) record(isInit bool, line string) {
	const max = 1 << 20 // bound what one transcript line keeps
	if len(line) > max {
		line = line[:max] + "...(cut)"
	}
	if isInit {
		e.initLines = append(e.initLines, line)
	} else {
		e.caseLines = append(e.caseLines, line)
	}
}

// failure kills the process and returns the *Failure for msg.
func (e *Engine) failure(msg string) *Failure {
	e.kill()
	return &Failure{Msg: msg, Transcript: e.Transcript(), Stderr: e.stderr.String()}
}

func (e *Engine) kill() {
	if e.proc == nil {
		return
	}
	e.proc.Process.Kill()
	e.stdin.Close()
	e.proc.Wait()
	e.proc = nil
}

// call sends a request and returns the raw response after the error codes
// of PR-8 are sorted out: 1001 becomes a *spec.Error, 10 a
// *NotSupportedError, every other code a *Failure.
func (e *Engine) call(req request) (*response, error) {
	var resp response
	if _, err := e.roundTrip(req, &resp, false); err != nil {
		return nil, err
	}
	if resp.Type == "error" {
		return nil, e.codeError(req.Type, resp.errorBody())
	}
	return &resp, nil
}

func (e *Engine) codeError(typ string, b errorBody) error {
	switch b.Code {
	case CodeRuleViolation:
		return &spec.Error{Path: b.Path, Rule: b.Rule, Msg: b.Text}
	case CodeNotSupported:
		return &NotSupportedError{Request: typ, Text: b.Text}
	}
	return e.failure(fmt.Sprintf("error code %d to %s: %s", b.Code, typ, b.Text))
}

// Evaluate sends a scenario (PR-6) and returns the report, a *spec.Error
// for a rule violation, a *NotSupportedError or a *Failure.
func (e *Engine) Evaluate(s *spec.Scenario) (*spec.Report, error) {
	line, id, err := e.begin("evaluate")
	if err != nil {
		return nil, err
	}
	line = wire.AppendScenario(append(line, `,"scenario":`...), s)
	var rep spec.Report
	out, fast, err := e.do("evaluate", id, line, "report", &rep)
	if err != nil || fast {
		if err != nil {
			return nil, err
		}
		return &rep, nil
	}
	raw, err := e.slowBody("evaluate", id, out, "report")
	if err != nil {
		return nil, err
	}
	if err := strictjson.Unmarshal(raw, &rep); err != nil {
		return nil, e.failure("evaluate_ok.report: " + err.Error())
	}
	return &rep, nil
}

// EvaluateText sends a scenario given as JSON text, as it is (duplicate
// keys, unknown fields and decimal literals included), so that the engine's
// own decoding (SPEC NUM-5, EVAL-4) is checked. The text must be one
// syntactically valid JSON value.
func (e *Engine) EvaluateText(data []byte) (*spec.Report, error) {
	if !json.Valid(data) {
		return nil, errors.New("perpcheck/1: EvaluateText needs syntactically valid JSON")
	}
	resp, err := e.call(request{Type: "evaluate", Scenario: json.RawMessage(data)})
	if err != nil {
		return nil, err
	}
	var rep spec.Report
	if err := strictjson.Unmarshal(resp.Report, &rep); err != nil {
		return nil, e.failure("evaluate_ok.report: " + err.Error())
	}
	return &rep, nil
}

// EvaluateBatch sends scenarios in one evaluate_batch request (PR-6) and
// returns one report or error per scenario; err is a request-level error.
func (e *Engine) EvaluateBatch(ss []*spec.Scenario) (reports []*spec.Report, errs []error, err error) {
	line, id, err := e.begin("evaluate_batch")
	if err != nil {
		return nil, nil, err
	}
	if len(ss) > 0 { // omitted when empty, as encoding/json did
		line = append(line, `,"scenarios":[`...)
		for i, s := range ss {
			if i > 0 {
				line = append(line, ',')
			}
			line = wire.AppendScenario(line, s)
		}
		line = append(line, ']')
	}
	var fastResults []batchResult
	out, fast, err := e.do("evaluate_batch", id, line, "results", &fastResults)
	if err != nil {
		return nil, nil, err
	}
	if fast && len(fastResults) == len(ss) {
		reports, errs = make([]*spec.Report, len(ss)), make([]error, len(ss))
		for i, r := range fastResults {
			switch {
			case r.Error != nil:
				if errs[i] = e.codeError("evaluate_batch", *r.Error); errors.As(errs[i], new(*Failure)) {
					return nil, nil, errs[i]
				}
			case r.Report != nil:
				reports[i] = r.Report
			default: // the slow path says what is wrong
				fast = false
			}
		}
		if fast {
			return reports, errs, nil
		}
	}
	raw, err := e.slowBody("evaluate_batch", id, out, "results")
	if err != nil {
		return nil, nil, err
	}
	var results []struct {
		Report json.RawMessage `json:"report"`
		Error  *errorBody      `json:"error"`
	}
	if err := json.Unmarshal(raw, &results); err != nil || len(results) != len(ss) {
		return nil, nil, e.failure(fmt.Sprintf("evaluate_batch_ok.results: want %d results", len(ss)))
	}
	reports, errs = make([]*spec.Report, len(ss)), make([]error, len(ss))
	for i, r := range results {
		switch {
		case r.Error != nil:
			if errs[i] = e.codeError("evaluate_batch", *r.Error); errors.As(errs[i], new(*Failure)) {
				return nil, nil, errs[i]
			}
		default:
			var rep spec.Report
			if err := strictjson.Unmarshal(r.Report, &rep); err != nil {
				return nil, nil, e.failure("evaluate_batch_ok.results[" + strconv.Itoa(i) + "].report: " + err.Error())
			}
			reports[i] = &rep
		}
	}
	return reports, errs, nil
}

// Session is an open ledger session of an Engine (PR-7).
type Session struct {
	e    *Engine
	name string
	gen  int
}

// OpenLedger opens a session on st (PR-7): a *spec.Error if the engine
// rejects the state.
func (e *Engine) OpenLedger(st *spec.State) (*Session, error) {
	line, id, err := e.begin("ledger_open")
	if err != nil {
		return nil, err
	}
	e.nextS++
	name := "s" + strconv.Itoa(e.nextS)
	line = wire.AppendString(append(line, `,"session":`...), name)
	line = wire.AppendState(append(line, `,"state":`...), st)
	if err := e.bodyless("ledger_open", id, line); err != nil {
		return nil, err
	}
	return &Session{e: e, name: name, gen: e.gen}, nil
}

// bodyless sends a request whose answer has no body.
func (e *Engine) bodyless(typ string, id int64, line []byte) error {
	out, fast, err := e.do(typ, id, line, "", nil)
	if err != nil || fast {
		return err
	}
	_, err = e.slowBody(typ, id, out, "")
	return err
}

// request begins a request of type typ on session s.
func (s *Session) request(typ string) ([]byte, int64, error) {
	if err := s.live(); err != nil {
		return nil, 0, err
	}
	line, id, err := s.e.begin(typ)
	if err != nil {
		return nil, 0, err
	}
	return wire.AppendString(append(line, `,"session":`...), s.name), id, nil
}

func (s *Session) live() error {
	if s.e.gen != s.gen || s.e.proc == nil {
		return &Failure{Msg: "session " + s.name + " was lost: the engine was restarted", Transcript: s.e.Transcript(), Stderr: s.e.stderr.String()}
	}
	return nil
}

// Apply applies one event (PR-7): its effects, or a *spec.Error.
func (s *Session) Apply(ev spec.Event) ([]spec.Effect, error) {
	line, id, err := s.request("apply")
	if err != nil {
		return nil, err
	}
	line = wire.AppendEvent(append(line, `,"event":`...), &ev)
	var effects []spec.Effect
	out, fast, err := s.e.do("apply", id, line, "effects", &effects)
	if err != nil || fast {
		return effects, err
	}
	raw, err := s.e.slowBody("apply", id, out, "effects")
	if err != nil {
		return nil, err
	}
	if err := strictjson.Unmarshal(raw, &effects); err != nil {
		return nil, s.e.failure("apply_ok.effects: " + err.Error())
	}
	return effects, nil
}

// State returns the session's current state (PR-7).
func (s *Session) State() (*spec.State, error) {
	line, id, err := s.request("state")
	if err != nil {
		return nil, err
	}
	var st spec.State
	out, fast, err := s.e.do("state", id, line, "state", &st)
	if err != nil || fast {
		if err != nil {
			return nil, err
		}
		return &st, nil
	}
	raw, err := s.e.slowBody("state", id, out, "state")
	if err != nil {
		return nil, err
	}
	if err := strictjson.Unmarshal(raw, &st); err != nil {
		return nil, s.e.failure("state_ok.state: " + err.Error())
	}
	return &st, nil
}

// Close closes the session (PR-7). Closing a session lost to a restart is
// not an error.
func (s *Session) Close() error {
	if s.live() != nil {
		return nil
	}
	line, id, err := s.request("ledger_close")
	if err != nil {
		return err
	}
	return s.e.bodyless("ledger_close", id, line)
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.ToValidUTF8(string(t.buf), "?")
}

// Raw sends one request given as a JSON object (its id is replaced by the
// next id of this process) and returns the response line, after the checks
// of PR-9. It is for replaying transcripts (perpcheck replay); error
// responses are returned as lines, not as errors.
func (e *Engine) Raw(line []byte) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil {
		return nil, fmt.Errorf("perpcheck/1: a transcript request is not a JSON object: %v", err)
	}
	var typ string
	if err := json.Unmarshal(fields["type"], &typ); err != nil || typ == "" {
		return nil, errors.New("perpcheck/1: a transcript request has no type")
	}
	if e.proc == nil {
		if err := e.start(); err != nil {
			return nil, err
		}
	}
	e.nextID++
	fields["id"] = json.RawMessage(strconv.FormatInt(e.nextID, 10))
	out, _ := json.Marshal(fields)
	return e.exchange(typ, e.nextID, out, false)
}
