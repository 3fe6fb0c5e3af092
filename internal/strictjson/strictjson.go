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
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
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
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return &Error{Msg: "the document starts with a UTF-8 byte-order mark (U+FEFF), which is not allowed: save it as UTF-8 without a BOM"}
	}
	if unmarshalDirect(data, rv.Elem()) {
		return nil
	}
	return unmarshalReference(data, rv)
}

// unmarshalDirect decodes data into dst with the direct decoder and reports
// whether it did; if not, dst is as it was.
func unmarshalDirect(data []byte, dst reflect.Value) bool {
	p := planFor(dst.Type())
	d := decoder{data: data}
	if len(data) <= smallDocument {
		d.src = string(data)
	}
	if dst.IsZero() {
		if p.dec(&d, dst) && d.end() {
			return true
		}
		dst.SetZero()
		return false
	}
	// Decode into a copy, so that a document given up on leaves dst as the
	// reference path expects it. The copy is shallow, but the decoder
	// never writes through a pointer, slice or map it did not make.
	tmp := reflect.New(dst.Type()).Elem()
	tmp.Set(dst)
	if p.dec(&d, tmp) && d.end() {
		dst.Set(tmp)
		return true
	}
	return false
}

// unmarshalReference is Unmarshal without the direct decoder (after the BOM
// check): fastTree, or readValue where fastTree gives up, then assign. It
// is the reference for the direct decoder and produces every error.
func unmarshalReference(data []byte, rv reflect.Value) error {
	if err := textError(data); err != nil {
		return err
	}
	tree, ok, err := fastTree(data)
	if err != nil {
		return err
	}
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
				child := join(path, spec.PathKey(k))
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

// assign stores n in dst. Inside a struct, a null value is the same as an
// absent field (SPEC NUM-5, EVAL-4): the field keeps its zero value and does
// not count as present, and a required field (tag strict:"required") that is
// not present is an error at its path once the object's keys are done.
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
			return &Error{Path: at.String(), Msg: "want an integer, got " + spec.Quote(n.str)}
		}
		dst.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.kind != 'n' {
			return &Error{Path: at.String(), Msg: "want an integer, got " + kindName(n.kind)}
		}
		u, err := strconv.ParseUint(n.str, 10, t.Bits())
		if err != nil {
			return &Error{Path: at.String(), Msg: "want a non-negative integer, got " + spec.Quote(n.str)}
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
		sf := cachedFields(t)
		var present uint64 // bit f.bit of each present required or "unless" field
		for i, k := range n.keys {
			p := at.child(k)
			f, ok := sf.byName[k]
			if !ok {
				return &Error{Path: p.String(), Msg: "unknown field"}
			}
			if n.items[i].kind == 'z' {
				// null is the same as absent.
				fv := dst.FieldByIndex(f.index)
				fv.Set(reflect.Zero(fv.Type()))
				continue
			}
			if err := assign(dst.FieldByIndex(f.index), n.items[i], &p); err != nil {
				return err
			}
			if f.bit >= 0 {
				present |= 1 << f.bit
			}
		}
		for _, f := range sf.required {
			if present&(1<<f.bit) != 0 || f.unless >= 0 && present&(1<<f.unless) != 0 {
				continue
			}
			p := at.child(f.name)
			msg := "required field is absent or null"
			if f.unlessName != "" {
				msg += " (and " + f.unlessName + " is not given)"
			}
			return &Error{Path: p.String(), Msg: msg}
		}
		return nil
	case reflect.Interface:
		return &Error{Path: at.String(), Msg: "strictjson: interface fields are not supported"}
	}
	return &Error{Path: at.String(), Msg: "strictjson: unsupported type " + t.String()}
}

var fieldCache sync.Map // reflect.Type -> *structInfo

// structInfo is what assign needs of a struct type: its JSON names and its
// required fields in declaration order.
type structInfo struct {
	byName   map[string]*fieldInfo
	required []*fieldInfo
}

// fieldInfo is one JSON field of a struct. bit numbers the fields that are
// required or named by an "unless" (-1 for the others); unless is the bit of
// the field whose presence waives the requirement (-1 for none).
type fieldInfo struct {
	name       string
	index      []int
	bit        int
	unless     int
	unlessName string
}

// cachedFields is structFields, computed once per type.
func cachedFields(t reflect.Type) *structInfo {
	if m, ok := fieldCache.Load(t); ok {
		return m.(*structInfo)
	}
	m := structFields(t)
	fieldCache.Store(t, m)
	return m
}

// structFields maps JSON names to field index paths for the exported fields of
// t. Like encoding/json, the fields of an embedded struct without a JSON name are
// promoted; a name given at a shallower depth wins. A field tagged
// strict:"required" must be present (not absent, not null);
// strict:"required,unless=NAME" waives that when the field NAME is present.
func structFields(t reflect.Type) *structInfo {
	info := &structInfo{byName: map[string]*fieldInfo{}}
	unlessOf := map[*fieldInfo]string{}
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
			if _, seen := info.byName[name]; seen {
				continue
			}
			fi := &fieldInfo{name: name, index: idx, bit: -1, unless: -1}
			info.byName[name] = fi
			for _, opt := range strings.Split(f.Tag.Get("strict"), ",") {
				switch {
				case opt == "required":
					info.required = append(info.required, fi)
				case strings.HasPrefix(opt, "unless="):
					unlessOf[fi] = strings.TrimPrefix(opt, "unless=")
				}
			}
		}
		for _, idx := range embedded {
			walk(t.FieldByIndex(idx).Type, idx)
		}
	}
	walk(t, nil)
	bits := 0
	number := func(f *fieldInfo) int {
		if f.bit < 0 {
			if bits == 64 {
				panic("strictjson: more than 64 required fields in " + t.String())
			}
			f.bit = bits
			bits++
		}
		return f.bit
	}
	for _, f := range info.required {
		number(f)
		if u, ok := unlessOf[f]; ok {
			g, ok := info.byName[u]
			if !ok {
				panic("strictjson: " + t.String() + "." + f.name + ": unless names no field " + u)
			}
			f.unless, f.unlessName = number(g), u
		}
	}
	return info
}

// MaxDecimalDigits is the most significant digits ParseDecimal keeps. A
// literal with more digits is still read (SPEC EVAL-4 puts no bound on the
// digits of a decimal), but no value that passes NUM-1 and NUM-2 has more
// than 19 significant digits, so such a literal is replaced by a value that
// breaks the same NUM rule (see ParseDecimal).
const MaxDecimalDigits = 60

// ParseDecimal parses a decimal literal of the grammar of SPEC EVAL-4 (see
// ValidDecimal), of any length. A literal of at most MaxDecimalDigits digits
// before its exponent is read exactly, as written. A longer one is read
// without its leading zeros and the trailing zeros of its fraction (so
// "1000." followed by 60 zeros is 1000); if it still has more than
// MaxDecimalDigits significant digits it is certainly off the 1e-8 grid or
// out of range, and it is replaced by a value of at most MaxDecimalDigits
// digits with the same sign and the same first digits that breaks the same
// rule: NUM-1 when a non-zero digit lies beyond the 8th fractional digit,
// NUM-2 otherwise. So a value is rejected by the same rule however it is
// written (SPEC NUM-5), and the work is linear in the literal's length.
func ParseDecimal(s string) (decimal.Decimal, error) {
	if !ValidDecimal(s) {
		return decimal.Decimal{}, errors.New("not a decimal: " + spec.Quote(s))
	}
	if decimalDigits(s) > MaxDecimalDigits {
		return longDecimal(s), nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, errors.New("not a decimal: " + spec.Quote(s))
	}
	return d, nil
}

// longDecimal is ParseDecimal for a ValidDecimal literal of more than
// MaxDecimalDigits digits.
func longDecimal(s string) decimal.Decimal {
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	mant, expText := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, expText = s[:i], s[i+1:]
	}
	exp, _ := strconv.Atoi(expText) // at most 3 digits, so it fits
	intPart, frac, _ := strings.Cut(mant, ".")
	frac = strings.TrimRight(frac, "0")
	digits := strings.TrimLeft(intPart+frac, "0")
	// value = digits * 10^e; drop the trailing zeros of an integer part.
	e := int64(exp) - int64(len(frac))
	trimmed := strings.TrimRight(digits, "0")
	e += int64(len(digits) - len(trimmed))
	digits = trimmed
	if digits == "" {
		return decimal.Zero
	}
	if len(digits) > MaxDecimalDigits {
		lead := int64(len(digits) - MaxDecimalDigits)
		if e >= -8 {
			// On the grid, and at least 10^52: out of range (NUM-2).
			digits, e = digits[:MaxDecimalDigits], e+lead
		} else {
			// A non-zero digit at 10^e, below 1e-8 (NUM-1).
			digits, e = digits[:MaxDecimalDigits-1]+"1", min(e+lead, -9)
		}
	}
	// Bound the exponent: beyond these it only says "off the grid" or "out
	// of range", which the clamped value says too.
	e = max(min(e, 1100), -1100)
	c, _ := new(big.Int).SetString(digits, 10)
	if neg {
		c.Neg(c)
	}
	return decimal.NewFromBigInt(c, int32(e))
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
