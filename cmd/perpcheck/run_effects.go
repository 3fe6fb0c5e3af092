package main

import (
	"strconv"

	"github.com/perpcheck/perpcheck/internal/wire"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// effect writes e at the given nesting level exactly as value(level,
// e.Spec()) writes it, i.e. as encoding/json (MarshalIndent with the
// level's prefix, or Marshal when compact) writes the spec.Effect, without
// building its decimals or using reflection: perpcheck run writes millions
// of effects (run_effects_test.go holds the two equal).
func (j *jsonWriter) effect(level int, e *model.LedgerEffect) {
	if j.err != nil {
		return
	}
	j.buf = appendLedgerEffect(j.buf[:0], e, level, j.compact)
	_, j.err = j.w.Write(j.buf)
}

// effectFmt is the punctuation of one JSON object: what opens it and comes
// before its first field, between fields, after a key, and what closes it.
type effectFmt struct{ open, sep, colon, close string }

var compactFmt = effectFmt{"{", ",", ":", "}"}

// indentFmts[level] is json.MarshalIndent's layout for an object at that
// nesting level (prefix of level*2 spaces, indent two spaces).
var indentFmts = func() (f [4]effectFmt) {
	for lv := range f {
		pre := "\n" + spaces(2*lv+2)
		f[lv] = effectFmt{"{" + pre, "," + pre, ": ", "\n" + spaces(2*lv) + "}"}
	}
	return f
}()

func spaces(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}

// appendLedgerEffect appends the JSON of e.Spec() (field order, omitempty
// and null decimals of spec.Effect's tags; decimals as shopspring writes
// them; strings escaped as encoding/json escapes them).
func appendLedgerEffect(b []byte, e *model.LedgerEffect, level int, compact bool) []byte {
	f := compactFmt
	if !compact {
		if level < len(indentFmts) {
			f = indentFmts[level]
		} else {
			pre := "\n" + spaces(2*level+2)
			f = effectFmt{"{" + pre, "," + pre, ": ", "\n" + spaces(2*level) + "}"}
		}
	}
	b = append(b, f.open...)
	b = append(b, `"event"`...)
	b = append(b, f.colon...)
	b = strconv.AppendInt(b, int64(e.Event), 10)
	b = appendField(b, f, "type", string(e.Type), false)
	b = appendField(b, f, "from", e.From, true)
	b = appendField(b, f, "to", e.To, true)
	b = appendFixedField(b, f, "amount", e.Amount, e.Type == spec.EffectPosting)
	b = appendField(b, f, "reason", e.Reason, true)
	b = appendField(b, f, "account", e.Account, true)
	b = appendField(b, f, "market", e.Market, true)
	b = appendField(b, f, "side", string(e.Side), true)
	b = appendFixedField(b, f, "size", e.Size, e.Type == spec.EffectFill)
	b = appendFixedField(b, f, "price", e.Price, e.Type == spec.EffectFill)
	b = appendField(b, f, "counterparty", e.Counterparty, true)
	b = appendField(b, f, "kind", e.Kind, true)
	b = appendField(b, f, "pool", string(e.Pool), true)
	return append(b, f.close...)
}

// appendField appends a string field (none when omitEmpty and s is "").
func appendField(b []byte, f effectFmt, key, s string, omitEmpty bool) []byte {
	if omitEmpty && s == "" {
		return b
	}
	b = append(b, f.sep...)
	b = append(b, '"')
	b = append(b, key...)
	b = append(b, '"')
	b = append(b, f.colon...)
	return wire.AppendString(b, s)
}

// appendFixedField appends a decimal field: v quoted in shortest decimal
// form when valid (shopspring's NullDecimal of a Fixed), else null.
func appendFixedField(b []byte, f effectFmt, key string, v model.Fixed, valid bool) []byte {
	b = append(b, f.sep...)
	b = append(b, '"')
	b = append(b, key...)
	b = append(b, '"')
	b = append(b, f.colon...)
	if !valid {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = v.Append(b)
	return append(b, '"')
}
