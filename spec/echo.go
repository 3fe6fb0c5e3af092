package spec

import (
	"fmt"
	"strings"
)

// Errorf returns an *Error at path for rule with the message
// fmt.Sprintf(format, args...), except that a %q verb is how a message
// repeats a string of the input: its string argument is written as Quote
// writes it, quoted and cut to MaxEcho bytes (SPEC EVAL-4), so that no
// message grows with its input or carries a raw control character. The
// verbs are the plain ones (%s, %q, %d, %v, ... without flags or widths),
// with %% for a percent sign.
func Errorf(path, rule, format string, args ...any) *Error {
	if strings.Contains(format, "%q") {
		format, args = quoteArgs(format, args)
	}
	return &Error{Path: path, Rule: rule, Msg: fmt.Sprintf(format, args...)}
}

// quoteArgs replaces each %q verb of format whose argument is a string (of
// any string type) by %s, and the argument by Quote of it.
func quoteArgs(format string, args []any) (string, []any) {
	out := append([]any(nil), args...)
	var b strings.Builder
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		verb := format[i]
		if verb == '%' {
			b.WriteString("%%")
			continue
		}
		if verb == 'q' && n < len(out) {
			if str, ok := asString(out[n]); ok {
				out[n] = Quote(str)
				verb = 's'
			}
		}
		b.WriteByte('%')
		b.WriteByte(verb)
		n++
	}
	return b.String(), out
}

func asString(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case Side:
		return string(s), true
	case MarginMode:
		return string(s), true
	case MMBasis:
		return string(s), true
	case EventType:
		return string(s), true
	case EffectType:
		return string(s), true
	}
	return "", false
}
