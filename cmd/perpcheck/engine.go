package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/protocol"
	"github.com/perpcheck/perpcheck/spec"
)

// splitCommand splits an -engine command line into words: blanks separate
// words, single and double quotes group them (no escapes inside single
// quotes; a backslash escapes the next character elsewhere).
func splitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case quote == '\'' && r == '\'', quote == '"' && r == '"':
			quote = 0
		case quote == '\'':
			cur.WriteRune(r)
		case r == '\\':
			escaped, inWord = true, true
		case quote == '"':
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case unicode.IsSpace(r):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, errors.New("unterminated quote or escape in the engine command")
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("empty engine command")
	}
	return words, nil
}

// transcriptOf replays one counterexample (a scenario, or a run file: a
// state and events) on a fresh process of the engine and returns the
// exchange (PROTOCOL.md PR-12).
func transcriptOf(command []string, opts protocol.Options, counterexample string) ([]string, error) {
	e, err := protocol.Start(command, opts)
	if err != nil {
		var f *protocol.Failure
		if errors.As(err, &f) {
			return f.Transcript, nil
		}
		return nil, err
	}
	defer e.Close()
	e.BeginCase()
	data := []byte(counterexample)
	if isStateFile(data) {
		var run spec.Run
		if err := strictjson.Unmarshal(data, &run); err != nil {
			return nil, err
		}
		s, err := e.OpenLedger(&run.State)
		if err == nil {
			for _, ev := range run.Events {
				if _, err := s.Apply(ev); errors.As(err, new(*protocol.Failure)) {
					break
				}
			}
			s.State()
		}
	} else {
		var sc spec.Scenario
		if err := strictjson.Unmarshal(data, &sc); err != nil {
			return nil, err
		}
		e.Evaluate(&sc)
	}
	return e.Transcript(), nil
}

// cmdReplay is "perpcheck replay -engine CMD FILE": it sends the requests of
// a transcript (PR-12: lines "> request" and "< response") to a fresh engine
// process and reports each response that differs from the recorded one.
func cmdReplay(args []string, stdout, stderr io.Writer) int {
	var engine string
	var rest []string
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-engine" && i+1 < len(args):
			engine = args[i+1]
			i++
		case strings.HasPrefix(args[i], "-engine="):
			engine = strings.TrimPrefix(args[i], "-engine=")
		default:
			rest = append(rest, args[i])
		}
	}
	if engine == "" || len(rest) != 1 {
		fmt.Fprintln(stderr, "usage: perpcheck replay -engine 'CMD ARGS' TRANSCRIPT")
		return 2
	}
	command, err := splitCommand(engine)
	if err != nil {
		fmt.Fprintln(stderr, "perpcheck replay:", err)
		return 2
	}
	data, err := readInput(rest[0], os.Stdin)
	if err != nil {
		fmt.Fprintln(stderr, "perpcheck replay:", err)
		return 2
	}
	type pair struct{ req, resp string }
	var pairs []pair
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, protocol.MaxLine)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "> "):
			pairs = append(pairs, pair{req: line[2:]})
		case strings.HasPrefix(line, "< ") && len(pairs) > 0 && pairs[len(pairs)-1].resp == "":
			pairs[len(pairs)-1].resp = line[2:]
		}
	}
	if len(pairs) == 0 || !strings.Contains(pairs[0].req, `"init"`) {
		fmt.Fprintln(stderr, "perpcheck replay: the transcript does not start with an init request")
		return 2
	}
	e, err := protocol.Start(command, protocol.Options{})
	if err != nil {
		fmt.Fprintln(stdout, "the engine failed at init:", err)
		return 1
	}
	defer e.Close()
	differ := 0
	for k, p := range pairs[1:] {
		got, err := e.Raw([]byte(p.req))
		if err != nil {
			fmt.Fprintf(stdout, "request %d: %v\n", k+2, err)
			return 1
		}
		if d := responseDiff(p.resp, string(got)); d != "" {
			differ++
			fmt.Fprintf(stdout, "request %d (%s): the response differs from the transcript: %s\n  sent:     %s\n  recorded: %s\n  got:      %s\n",
				k+2, requestType(p.req), d, cut(p.req), cut(p.resp), cut(string(got)))
		}
	}
	fmt.Fprintf(stdout, "replayed %d requests on %s: %d responses differ\n", len(pairs)-1, strings.Join(command, " "), differ)
	if differ > 0 {
		return 1
	}
	return 0
}

// responseDiff compares two response lines as JSON values, decimals by
// value (SPEC NUM-6), ignoring in_reply_to; "" means equal.
func responseDiff(want, got string) string {
	var w, g map[string]any
	if want == "" {
		return "no response was recorded"
	}
	if err := decodeNumbers(want, &w); err != nil {
		return "the recorded response is not JSON"
	}
	if err := decodeNumbers(got, &g); err != nil {
		return "the response is not JSON"
	}
	delete(w, "in_reply_to")
	delete(g, "in_reply_to")
	return jsonDiff("", w, g)
}

func decodeNumbers(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	return dec.Decode(v)
}

// jsonDiff returns the path and values of the first difference of two
// generic JSON values; strings and numbers that are both decimals compare
// by value.
func jsonDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: an object vs %T", orRoot(path), b)
		}
		for _, k := range sortedUnion(x, y) {
			if d := jsonDiff(joinPath(path, k), x[k], y[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %d entries vs %v", orRoot(path), len(x), shortValue(b))
		}
		for i := range x {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if da, ok := asDecimal(a); ok {
		if db, ok := asDecimal(b); ok && da.Equal(db) {
			return ""
		}
	} else if fmt.Sprint(a) == fmt.Sprint(b) && (a == nil) == (b == nil) {
		return ""
	}
	return fmt.Sprintf("%s: %v vs %v", orRoot(path), shortValue(a), shortValue(b))
}

// asDecimal reads a JSON number or a string in EVAL-4's grammar.
func asDecimal(v any) (decimal.Decimal, bool) {
	var text string
	switch x := v.(type) {
	case json.Number:
		text = string(x)
	case string:
		text = x
	default:
		return decimal.Decimal{}, false
	}
	d, err := strictjson.ParseDecimal(text)
	return d, err == nil
}

func sortedUnion(a, b map[string]any) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return slices.Sorted(maps.Keys(keys))
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "(response)"
	}
	return path
}

func shortValue(v any) string {
	if v == nil {
		return "absent"
	}
	b, _ := json.Marshal(v)
	return cut(string(b))
}

// cut bounds an echoed line.
func cut(s string) string {
	const max = 300
	if len(s) > max {
		return s[:max] + "...(" + fmt.Sprint(len(s)) + " bytes)"
	}
	return s
}

func requestType(line string) string {
	var r struct {
		Type string `json:"type"`
	}
	json.Unmarshal([]byte(line), &r)
	return r.Type
}
