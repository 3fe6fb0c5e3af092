// Package strictjson decodes JSON into Go values the way perpcheck's file formats
// require (SPEC NUM-5, EVAL-4): unknown fields are errors, numbers are taken from
// their literal text (never through float64), duplicate keys are errors, and every
// error names the JSON path of the offending value, e.g. "account.positions[1].size".
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/shopspring/decimal"
)

// MaxDepth bounds the nesting of a document so that hostile input cannot exhaust the stack.
const MaxDepth = 64

// Error is a decoding error at a JSON path. Path is "" for the whole document.
type Error struct {
	Path string
	Msg  string
}

// Error returns "<path>: <message>", or the message alone at the document's
// root.
func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

var (
	decimalType     = reflect.TypeOf(decimal.Decimal{})
	nullDecimalType = reflect.TypeOf(decimal.NullDecimal{})
	rawMessageType  = reflect.TypeOf(json.RawMessage(nil))
)

// Unmarshal decodes data into v, which must be a non-nil pointer.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Msg: "strictjson: Unmarshal needs a non-nil pointer"}
	}
	tree, ok := fastTree(data)
	if !ok {
		// The slow parser gives the error (messages and paths as they have
		// always been); it accepts only what fastTree accepts.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var err error
		if tree, err = readValue(dec, "", 0); err != nil {
			return err
		}
		if _, err := dec.Token(); err != io.EOF {
			return &Error{Msg: "unexpected data after the JSON document"}
		}
	}
	return assign(rv.Elem(), tree, nil)
}

// node is a parsed JSON value that remembers key order and rejects duplicates.
// An object's keys[i] has the value items[i]; an array's values are items.
type node struct {
	kind  byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	str   string
	b     bool
	keys  []string
	items []*node
}

func readValue(dec *json.Decoder, path string, depth int) (*node, error) {
	if depth > MaxDepth {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("nesting deeper than %d", MaxDepth)}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(path, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: 'o'}
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, syntaxError(path, err)
				}
				k, _ := kt.(string)
				child := join(path, k)
				if seen[k] {
					return nil, &Error{Path: child, Msg: "duplicate key"}
				}
				v, err := readValue(dec, child, depth+1)
				if err != nil {
					return nil, err
				}
				seen[k] = true
				n.keys = append(n.keys, k)
				n.items = append(n.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxError(path, err)
			}
			return n, nil
		case '[':
			n := &node{kind: 'a'}
			for dec.More() {
				v, err := readValue(dec, fmt.Sprintf("%s[%d]", path, len(n.items)), depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxError(path, err)
			}
			return n, nil
		}
	case string:
		return &node{kind: 's', str: t}, nil
	case json.Number:
		return &node{kind: 'n', str: string(t)}, nil
	case bool:
		return &node{kind: 'b', b: t}, nil
	case nil:
		return &node{kind: 'z'}, nil
	}
	return nil, &Error{Path: path, Msg: "invalid JSON"}
}

func syntaxError(path string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Path: path, Msg: "unexpected end of JSON input"}
	}
	return &Error{Path: path, Msg: "invalid JSON: " + err.Error()}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(k byte) string {
	switch k {
	case 'o':
		return "an object"
	case 'a':
		return "an array"
	case 's':
		return "a string"
	case 'n':
		return "a number"
	case 'b':
		return "a boolean"
	}
	return "null"
}

func assign(dst reflect.Value, n *node, at *path) error {
	t := dst.Type()
	switch t {
	case decimalType, nullDecimalType:
		if n.kind == 'z' {
			if t == decimalType {
				return &Error{Path: at.String(), Msg: "a decimal is required, got null"}
			}
			dst.Set(reflect.Zero(t))
			return nil
		}
		if n.kind != 's' && n.kind != 'n' {
			return &Error{Path: at.String(), Msg: "want a decimal (string or number), got " + kindName(n.kind)}
		}
		d, err := ParseDecimal(n.str)
		if err != nil {
			return &Error{Path: at.String(), Msg: err.Error()}
		}
		if t == decimalType {
			dst.Set(reflect.ValueOf(d))
		} else {
			dst.Set(reflect.ValueOf(decimal.NewNullDecimal(d)))
		}
		return nil
	case rawMessageType:
		return &Error{Path: at.String(), Msg: "strictjson: json.RawMessage fields are not supported"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		if n.kind == 'z' {
			dst.Set(reflect.Zero(t))
			return nil
		}
		p := reflect.New(t.Elem())
		if err := assign(p.Elem(), n, at); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	case reflect.String:
		if n.kind != 's' {
			return &Error{Path: at.String(), Msg: "want a string, got " + kindName(n.kind)}
		}
		dst.SetString(n.str)
		return nil
	case reflect.Bool:
		if n.kind != 'b' {
			return &Error{Path: at.String(), Msg: "want a boolean, got " + kindName(n.kind)}
		}
		dst.SetBool(n.b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.kind != 'n' {
			return &Error{Path: at.String(), Msg: "want an integer, got " + kindName(n.kind)}
		}
		i, err := strconv.ParseInt(n.str, 10, t.Bits())
		if err != nil {
			return &Error{Path: at.String(), Msg: "want an integer, got " + n.str}
		}
		dst.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.kind != 'n' {
			return &Error{Path: at.String(), Msg: "want an integer, got " + kindName(n.kind)}
		}
		u, err := strconv.ParseUint(n.str, 10, t.Bits())
		if err != nil {
			return &Error{Path: at.String(), Msg: "want a non-negative integer, got " + n.str}
		}
		dst.SetUint(u)
		return nil
	case reflect.Slice:
		if n.kind == 'z' {
			dst.Set(reflect.Zero(t))
			return nil
		}
		if n.kind != 'a' {
			return &Error{Path: at.String(), Msg: "want an array, got " + kindName(n.kind)}
		}
		s := reflect.MakeSlice(t, len(n.items), len(n.items))
		for i, it := range n.items {
			p := at.item(i)
			if err := assign(s.Index(i), it, &p); err != nil {
				return err
			}
		}
		dst.Set(s)
		return nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return &Error{Path: at.String(), Msg: "strictjson: map keys must be strings"}
		}
		if n.kind == 'z' {
			dst.Set(reflect.Zero(t))
			return nil
		}
		if n.kind != 'o' {
			return &Error{Path: at.String(), Msg: "want an object, got " + kindName(n.kind)}
		}
		m := reflect.MakeMapWithSize(t, len(n.keys))
		for i, k := range n.keys {
			v := reflect.New(t.Elem()).Elem()
			p := at.child(k)
			if err := assign(v, n.items[i], &p); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), v)
		}
		dst.Set(m)
		return nil
	case reflect.Struct:
		if n.kind != 'o' {
			return &Error{Path: at.String(), Msg: "want an object, got " + kindName(n.kind)}
		}
		fields := cachedFields(t)
		for i, k := range n.keys {
			p := at.child(k)
			idx, ok := fields[k]
			if !ok {
				return &Error{Path: p.String(), Msg: "unknown field"}
			}
			if err := assign(dst.FieldByIndex(idx), n.items[i], &p); err != nil {
				return err
			}
		}
		return nil
	case reflect.Interface:
		return &Error{Path: at.String(), Msg: "strictjson: interface fields are not supported"}
	}
	return &Error{Path: at.String(), Msg: "strictjson: unsupported type " + t.String()}
}

var fieldCache sync.Map // reflect.Type -> map[string][]int

// cachedFields is structFields, computed once per type.
func cachedFields(t reflect.Type) map[string][]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string][]int)
	}
	m := structFields(t)
	fieldCache.Store(t, m)
	return m
}

// structFields maps JSON names to field index paths for the exported fields of
// t. Like encoding/json, the fields of an embedded struct without a JSON name are
// promoted; a name given at a shallower depth wins.
func structFields(t reflect.Type) map[string][]int {
	m := map[string][]int{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		var embedded [][]int
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := f.Name
			tagged := false
			if tag, ok := f.Tag.Lookup("json"); ok {
				tn, _, _ := strings.Cut(tag, ",")
				if tn == "-" {
					continue
				}
				if tn != "" {
					name, tagged = tn, true
				}
			}
			idx := append(append([]int(nil), prefix...), i)
			if f.Anonymous && !tagged && f.Type.Kind() == reflect.Struct {
				embedded = append(embedded, idx)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if _, seen := m[name]; !seen {
				m[name] = idx
			}
		}
		for _, idx := range embedded {
			walk(t.FieldByIndex(idx).Type, idx)
		}
	}
	walk(t, nil)
	return m
}

// MaxDecimalDigits is ParseDecimal's bound on the digits of a literal before
// its exponent (integer and fraction digits together). It is a resource
// bound of this decoder, not part of the EVAL-4 grammar.
const MaxDecimalDigits = 60

// ParseDecimal parses a decimal literal in the grammar of SPEC EVAL-4 (see
// ValidDecimal) with at most MaxDecimalDigits digits before the exponent.
func ParseDecimal(s string) (decimal.Decimal, error) {
	if !ValidDecimal(s) || decimalDigits(s) > MaxDecimalDigits {
		return decimal.Decimal{}, errors.New("not a decimal: " + strconv.Quote(truncate(s, 40)))
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, errors.New("not a decimal: " + strconv.Quote(truncate(s, 40)))
	}
	return d, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// DecimalGrammar is SPEC EVAL-4's decimal grammar as a regular expression,
// for error messages and documentation; ValidDecimal is its implementation.
const DecimalGrammar = `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?`

// ValidDecimal reports whether s is a decimal literal of SPEC EVAL-4's
// grammar, DecimalGrammar: an optional '-', one or more digits, optionally
// '.' and one or more digits, optionally 'e' or 'E', an optional sign and one
// to three digits. So NaN, Inf, hex, '_', spaces, a leading '+', a bare '.'
// and four-digit exponents are not decimals. It puts no bound on the number
// of digits; callers that need one (ParseDecimal, venue's CCXT loader) add it.
func ValidDecimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	n := digitRun(s[i:])
	if n == 0 {
		return false
	}
	i += n
	if i < len(s) && s[i] == '.' {
		i++
		n = digitRun(s[i:])
		if n == 0 {
			return false
		}
		i += n
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		n = digitRun(s[i:])
		if n == 0 || n > 3 {
			return false
		}
		i += n
	}
	return i == len(s)
}

// digitRun is the number of ASCII digits at the start of s.
func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// decimalDigits is the number of digits of a ValidDecimal literal before its
// exponent.
func decimalDigits(s string) int {
	n := 0
	for i := 0; i < len(s) && s[i] != 'e' && s[i] != 'E'; i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}
