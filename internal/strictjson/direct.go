package strictjson

import (
	"reflect"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// The direct decoder: one pass over the bytes straight into the destination,
// with a decoding plan compiled once per type (no node tree, no string per
// key, decimals from their literal bytes). It only ever accepts: at the first
// thing it does not take as it is (any error of any kind, an escape it does
// not handle, a literal it does not parse itself) it gives up, and Unmarshal
// runs the reference path (fastTree/readValue, then assign) from the start,
// which gives the value or the error exactly as before. So for every
// document the result is the reference's: the direct decoder must only never
// accept a document differently (TestDirectMatchesReference, FuzzDirect).

// smallDocument is the size up to which the decoder converts the whole
// document to one string and takes every plain string (key or value) as a
// substring of it: one allocation instead of one per string. A larger
// document gets a string per value, so that a kept string does not keep a
// large document alive.
const smallDocument = 64 << 10

type decoder struct {
	data  []byte
	src   string // string(data) for a small document, else ""
	i     int
	depth int
	err   bool // next found neither a comma nor the closing byte
	arena arena
}

// decFunc decodes the value at d.i into v (addressable). false means "give
// up": the reference path decides.
type decFunc func(d *decoder, v reflect.Value) bool

type plan struct {
	dec decFunc
}

var planCache sync.Map // reflect.Type -> *plan

func planFor(t reflect.Type) *plan {
	if p, ok := planCache.Load(t); ok {
		return p.(*plan)
	}
	building := map[reflect.Type]*plan{}
	p := compile(t, building)
	for bt, bp := range building {
		planCache.LoadOrStore(bt, bp)
	}
	return p
}

func giveUp(*decoder, reflect.Value) bool { return false }

func compile(t reflect.Type, building map[reflect.Type]*plan) *plan {
	if p, ok := planCache.Load(t); ok {
		return p.(*plan)
	}
	if p, ok := building[t]; ok {
		return p
	}
	p := &plan{}
	building[t] = p
	p.dec = compileFunc(t, building)
	return p
}

func compileFunc(t reflect.Type, building map[reflect.Type]*plan) decFunc {
	switch t {
	case decimalType:
		return decDecimal
	case nullDecimalType:
		return decNullDecimal
	case rawMessageType:
		return giveUp
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := compile(t.Elem(), building)
		et := t.Elem()
		return func(d *decoder, v reflect.Value) bool {
			if d.null() {
				v.SetZero()
				return true
			}
			p := reflect.New(et)
			if !elem.dec(d, p.Elem()) {
				return false
			}
			v.Set(p)
			return true
		}
	case reflect.String:
		return func(d *decoder, v reflect.Value) bool {
			s, ok := d.str()
			if ok {
				v.SetString(s)
			}
			return ok
		}
	case reflect.Bool:
		return func(d *decoder, v reflect.Value) bool {
			switch {
			case d.literal("true"):
				v.SetBool(true)
			case d.literal("false"):
				v.SetBool(false)
			default:
				return false
			}
			return true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		return func(d *decoder, v reflect.Value) bool {
			lit, ok := d.num()
			if !ok {
				return false
			}
			i, ok := parseInt(lit, bits)
			if ok {
				v.SetInt(i)
			}
			return ok
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		bits := t.Bits()
		return func(d *decoder, v reflect.Value) bool {
			lit, ok := d.num()
			if !ok {
				return false
			}
			u, err := strconv.ParseUint(string(lit), 10, bits)
			if err != nil {
				return false
			}
			v.SetUint(u)
			return true
		}
	case reflect.Slice:
		elem := compile(t.Elem(), building)
		return func(d *decoder, v reflect.Value) bool { return d.slice(v, t, elem) }
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return giveUp
		}
		elem := compile(t.Elem(), building)
		return func(d *decoder, v reflect.Value) bool { return d.mapValue(v, t, elem) }
	case reflect.Struct:
		return compileStruct(t, building)
	}
	return giveUp
}

// structPlan is a struct type's fields by JSON name (in the order of
// structInfo.byName, numbered for the duplicate check) and its required
// fields.
type structPlan struct {
	byName   map[string]int
	fields   []structField
	required []*fieldInfo
}

type structField struct {
	index []int
	bit   int
	plan  *plan
}

func compileStruct(t reflect.Type, building map[reflect.Type]*plan) decFunc {
	info := cachedFields(t)
	if len(info.byName) > 64 {
		return giveUp
	}
	sp := &structPlan{byName: make(map[string]int, len(info.byName)), required: info.required}
	for name, f := range info.byName {
		sp.byName[name] = len(sp.fields)
		sp.fields = append(sp.fields, structField{
			index: f.index,
			bit:   f.bit,
			plan:  compile(t.FieldByIndex(f.index).Type, building),
		})
	}
	return sp.decode
}

func (sp *structPlan) decode(d *decoder, v reflect.Value) bool {
	if !d.open('{') {
		return false
	}
	d.depth++
	var seen, present uint64
	d.space()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
	} else {
		for {
			d.space()
			k, ok := d.key()
			if !ok {
				return false
			}
			n, ok := sp.byName[k]
			if !ok || seen&(1<<n) != 0 {
				return false
			}
			seen |= 1 << n
			if !d.colon() {
				return false
			}
			f := &sp.fields[n]
			var fv reflect.Value
			if len(f.index) == 1 {
				fv = v.Field(f.index[0])
			} else {
				fv = v.FieldByIndex(f.index)
			}
			if d.depth > MaxDepth {
				return false
			}
			if d.null() {
				fv.SetZero()
			} else {
				if !f.plan.dec(d, fv) {
					return false
				}
				if f.bit >= 0 {
					present |= 1 << f.bit
				}
			}
			if !d.next('}') {
				if d.err {
					return false
				}
				continue
			}
			break
		}
	}
	d.depth--
	for _, f := range sp.required {
		if present&(1<<f.bit) == 0 && (f.unless < 0 || present&(1<<f.unless) == 0) {
			return false
		}
	}
	return true
}

func (d *decoder) slice(v reflect.Value, t reflect.Type, elem *plan) bool {
	if d.null() {
		v.SetZero()
		return true
	}
	if !d.open('[') {
		return false
	}
	d.depth++
	d.space()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		d.depth--
		v.Set(reflect.MakeSlice(t, 0, 0))
		return true
	}
	s := reflect.MakeSlice(t, 4, 4)
	n := 0
	for {
		if n == s.Len() {
			g := reflect.MakeSlice(t, 2*n, 2*n)
			reflect.Copy(g, s)
			s = g
		}
		if d.depth > MaxDepth || !elem.dec(d, s.Index(n)) {
			return false
		}
		n++
		if !d.next(']') {
			if d.err {
				return false
			}
			continue
		}
		break
	}
	d.depth--
	// The reference makes the slice of exactly the array's length.
	v.Set(s.Slice3(0, n, n))
	return true
}

func (d *decoder) mapValue(v reflect.Value, t reflect.Type, elem *plan) bool {
	if d.null() {
		v.SetZero()
		return true
	}
	if !d.open('{') {
		return false
	}
	d.depth++
	m := reflect.MakeMap(t)
	d.space()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		d.depth--
		v.Set(m)
		return true
	}
	kv := reflect.New(t.Key()).Elem()
	ev := reflect.New(t.Elem()).Elem()
	for {
		d.space()
		k, ok := d.key()
		if !ok || !d.colon() || d.depth > MaxDepth {
			return false
		}
		ev.SetZero()
		if !elem.dec(d, ev) {
			return false
		}
		kv.SetString(k)
		before := m.Len()
		m.SetMapIndex(kv, ev)
		if m.Len() == before { // a duplicate key
			return false
		}
		if !d.next('}') {
			if d.err {
				return false
			}
			continue
		}
		break
	}
	d.depth--
	v.Set(m)
	return true
}

func (d *decoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// null consumes a null literal (after white space) if there is one.
func (d *decoder) null() bool {
	d.space()
	return d.literal("null")
}

func (d *decoder) literal(word string) bool {
	d.space()
	if len(d.data)-d.i >= len(word) && string(d.data[d.i:d.i+len(word)]) == word {
		d.i += len(word)
		return true
	}
	return false
}

func (d *decoder) open(c byte) bool {
	d.space()
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *decoder) colon() bool {
	d.space()
	if d.i < len(d.data) && d.data[d.i] == ':' {
		d.i++
		return true
	}
	return false
}

// next reads the ',' or the closing byte after a member or element: it
// returns true at the close, false with d.err unset at a comma, and false
// with d.err set on anything else.
func (d *decoder) next(close byte) bool {
	d.space()
	if d.i < len(d.data) {
		switch d.data[d.i] {
		case ',':
			d.i++
			return false
		case close:
			d.i++
			return true
		}
	}
	d.err = true
	return false
}

// key reads an object key.
func (d *decoder) key() (string, bool) { return d.str() }

// str reads a string literal as scanner.str does (plain ASCII taken as it
// is, anything else through unquote); it gives up where scanner.str fails or
// reports an error.
func (d *decoder) str() (string, bool) {
	d.space()
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return "", false
	}
	start := d.i + 1
	d.i++
	plain := true
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			if plain {
				if d.src != "" {
					return d.src[start : d.i-1], true
				}
				return string(d.data[start : d.i-1]), true
			}
			out, msg, ok := unquote(d.data[start : d.i-1])
			if !ok || msg != "" {
				return "", false
			}
			return out, true
		case c == '\\':
			plain = false
			d.i += 2
			continue
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			plain = false
		}
		d.i++
	}
	return "", false
}

// num reads a JSON number and returns its literal bytes.
func (d *decoder) num() ([]byte, bool) {
	d.space()
	s := scanner{data: d.data, i: d.i}
	if s.i >= len(s.data) || s.data[s.i] != '-' && (s.data[s.i] < '0' || s.data[s.i] > '9') || !s.number() {
		return nil, false
	}
	lit := d.data[d.i:s.i]
	d.i = s.i
	return lit, true
}

// parseInt is strconv.ParseInt(string(b), 10, bits) where it succeeds.
func parseInt(b []byte, bits int) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		i, err := strconv.ParseInt(string(b), 10, bits)
		return i, err == nil
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	if bits < 64 && (n < -1<<(bits-1) || n > 1<<(bits-1)-1) {
		return 0, false
	}
	return n, true
}

// decimalLiteral reads a decimal (a string or a number) and returns its
// literal bytes.
func (d *decoder) decimalLiteral() ([]byte, bool) {
	d.space()
	if d.i < len(d.data) && d.data[d.i] == '"' {
		start := d.i + 1
		for j := start; j < len(d.data); j++ {
			c := d.data[j]
			if c == '"' {
				d.i = j + 1
				return d.data[start:j], true
			}
			if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				// Not a plain string, so not a plain decimal literal either.
				s, ok := d.str()
				return []byte(s), ok
			}
		}
		return nil, false
	}
	return d.num()
}

func decDecimal(d *decoder, v reflect.Value) bool {
	lit, ok := d.decimalLiteral()
	if !ok {
		return false
	}
	dec, ok := parseDecimalBytes(lit, &d.arena, len(d.data)-d.i)
	if ok {
		*(*decimal.Decimal)(v.Addr().UnsafePointer()) = dec
	}
	return ok
}

func decNullDecimal(d *decoder, v reflect.Value) bool {
	if d.null() {
		v.SetZero()
		return true
	}
	lit, ok := d.decimalLiteral()
	if !ok {
		return false
	}
	dec, ok := parseDecimalBytes(lit, &d.arena, len(d.data)-d.i)
	if ok {
		*(*decimal.NullDecimal)(v.Addr().UnsafePointer()) = decimal.NewNullDecimal(dec)
	}
	return ok
}

// parseDecimalBytes is ParseDecimal(string(b)) where it succeeds. A literal
// that decimal.NewFromString reads through an int64 (at most 18 bytes of
// sign and digits) is read here the same way, giving the same coefficient
// and exponent (its big.Int from a, arena.go, left bytes of the document
// after it); any other goes through
// ParseDecimal.
func parseDecimalBytes(b []byte, a *arena, left int) (decimal.Decimal, bool) {
	// ValidDecimal's grammar, noting where the parts are.
	i := 0
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	var coef int64
	digits := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		coef = coef*10 + int64(b[i]-'0')
		digits++
		i++
		if digits > 18 {
			return slowDecimal(b)
		}
	}
	if digits == 0 {
		return decimal.Decimal{}, false
	}
	frac := 0
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			coef = coef*10 + int64(b[i]-'0')
			digits++
			frac++
			i++
			if digits > 18 {
				return slowDecimal(b)
			}
		}
		if frac == 0 {
			return decimal.Decimal{}, false
		}
	}
	exp := 0
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			exp = exp*10 + int(b[i]-'0')
			n++
			i++
		}
		if n == 0 || n > 3 {
			return decimal.Decimal{}, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(b) {
		return decimal.Decimal{}, false
	}
	// NewFromString's int64 shortcut counts the sign and the digits.
	numLen := digits
	if neg {
		numLen++
	}
	if numLen > 18 {
		return slowDecimal(b)
	}
	exp -= frac
	if exp > decimal.MaxDecodeExponent || exp < -decimal.MaxDecodeExponent {
		return slowDecimal(b)
	}
	if neg {
		coef = -coef
	}
	return a.decimal(coef, int32(exp), left), true
}

func slowDecimal(b []byte) (decimal.Decimal, bool) {
	d, err := ParseDecimal(string(b))
	return d, err == nil
}

// end reports whether only white space is left.
func (d *decoder) end() bool {
	d.space()
	return d.i == len(d.data)
}
