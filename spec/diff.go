package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Diff compares two values of the same contract type (Report, State,
// Scenario, Effect, []Effect, Error, ... or pointers to them) and returns
// their differences, one per differing field, as JSON paths with both values:
//
//	positions[1].maintenanceMargin: 12.5 vs 12.50000001
//
// Decimals compare by value (SPEC NUM-6: 12.5 equals 12.50), an absent
// optional decimal differs from every present one, and a nil slice or map
// equals an empty one. Maps are walked in sorted key order, so the result is
// deterministic. It returns nil when the two are equal.
//
// Equal values are compared without building paths or boxing values, so
// Diff is cheap enough for a check after every ledger event.
func Diff(a, b any) []string { return diffAny(a, b, false) }

// DiffExact is Diff for "was this value modified?": decimals must have the
// same representation (1.0 and 1 differ), a nil slice or map differs from an
// empty one, and an absent optional decimal's hidden value counts too. A value
// and its Clone have no DiffExact differences.
func DiffExact(a, b any) []string { return diffAny(a, b, true) }

func diffAny(a, b any, exact bool) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !va.IsValid() || !vb.IsValid() || va.Type() != vb.Type() {
		if !va.IsValid() && !vb.IsValid() {
			return nil
		}
		return []string{fmt.Sprintf("%T vs %T", a, b)}
	}
	// A quiet pass first: it stops at the first difference and records
	// nothing, so equal values cost no allocation beyond map scratch space.
	q := differ{exact: exact, quiet: true}
	q.value(va, vb)
	if !q.found {
		return nil
	}
	d := differ{exact: exact}
	d.value(va, vb)
	return d.out
}

// A differ walks two values of the same type. In quiet mode it only sets
// found at the first difference; else it appends every difference to out,
// with the path of path.
type differ struct {
	exact, quiet, found bool
	out                 []string
	path                []pathSeg
}

// pathSeg is one step of a JSON path: a field or map key (index < 0) or a
// slice index.
type pathSeg struct {
	name  string
	index int
}

var (
	decimalType     = reflect.TypeFor[decimal.Decimal]()
	nullDecimalType = reflect.TypeFor[decimal.NullDecimal]()
)

func (d *differ) push(name string) { d.path = append(d.path, pathSeg{name: name, index: -1}) }
func (d *differ) pushIndex(i int)  { d.path = append(d.path, pathSeg{index: i}) }
func (d *differ) pop()             { d.path = d.path[:len(d.path)-1] }

// add records a difference at the current path.
func (d *differ) add(format string, args ...any) {
	d.found = true
	if d.quiet {
		return
	}
	var b strings.Builder
	for _, s := range d.path {
		if s.index >= 0 {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	if b.Len() == 0 {
		b.WriteString("(value)")
	}
	d.out = append(d.out, b.String()+": "+fmt.Sprintf(format, args...))
}

func (d *differ) value(a, b reflect.Value) {
	if d.quiet && d.found {
		return
	}
	switch a.Type() {
	case decimalType:
		x, y := decimalOf(a), decimalOf(b)
		if !decimalsEqual(x, y, d.exact) {
			d.add("%s vs %s", decString(x, d.exact), decString(y, d.exact))
		}
		return
	case nullDecimalType:
		x, y := nullDecimalOf(a), nullDecimalOf(b)
		same := x.Valid == y.Valid && (!x.Valid && !d.exact || decimalsEqual(x.Decimal, y.Decimal, d.exact))
		if !same {
			d.add("%s vs %s", nullString(x, d.exact), nullString(y, d.exact))
		}
		return
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				d.add("%s vs %s", nilOr(a), nilOr(b))
			}
			return
		}
		if a.Kind() == reflect.Interface && a.Elem().Type() != b.Elem().Type() {
			d.add("%s vs %s", a.Elem().Type(), b.Elem().Type())
			return
		}
		d.value(a.Elem(), b.Elem())
	case reflect.Struct:
		for _, f := range fieldsOf(a.Type()) {
			if f.anonymous {
				d.value(a.Field(f.index), b.Field(f.index))
				continue
			}
			d.push(f.name)
			d.value(a.Field(f.index), b.Field(f.index))
			d.pop()
		}
	case reflect.Slice, reflect.Array:
		if d.exact && a.Kind() == reflect.Slice && a.IsNil() != b.IsNil() {
			d.add("%s vs %s", nilOrLen(a), nilOrLen(b))
			return
		}
		if a.Len() != b.Len() {
			d.add("%d entries vs %d", a.Len(), b.Len())
		}
		for i := range min(a.Len(), b.Len()) {
			d.pushIndex(i)
			d.value(a.Index(i), b.Index(i))
			d.pop()
		}
	case reflect.Map:
		if d.exact && a.IsNil() != b.IsNil() {
			d.add("%s vs %s", nilOrLen(a), nilOrLen(b))
			return
		}
		if d.quiet {
			d.mapQuiet(a, b)
			return
		}
		for _, k := range unionKeys(a, b) {
			d.push(PathKey(k.String()))
			x, y := a.MapIndex(k), b.MapIndex(k)
			switch {
			case !x.IsValid():
				d.add("absent vs present")
			case !y.IsValid():
				d.add("present vs absent")
			default:
				d.value(x, y)
			}
			d.pop()
		}
	case reflect.String:
		if a.String() != b.String() {
			d.add("%q vs %q", a.String(), b.String())
		}
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			d.add("%t vs %t", a.Bool(), b.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			d.add("%d vs %d", a.Int(), b.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			d.add("%d vs %d", a.Uint(), b.Uint())
		}
	case reflect.Float32, reflect.Float64:
		if a.Float() != b.Float() {
			d.add("%v vs %v", a.Float(), b.Float())
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			d.add("%v vs %v", a.Interface(), b.Interface())
		}
	}
}

// mapQuiet is the quiet pass over two maps: same size, and every entry of
// a has an equal entry in b. Entries are copied into addressable scratch
// values (so decimals in them are read without boxing); a small map with
// string keys is searched by iteration, which needs no allocation per entry.
func (d *differ) mapQuiet(a, b reflect.Value) {
	if a.Len() != b.Len() {
		d.found = true
		return
	}
	if a.Len() == 0 {
		return
	}
	t := a.Type()
	ka, va, vb := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem(), reflect.New(t.Elem()).Elem()
	var kb reflect.Value
	scan := t.Key().Kind() == reflect.String && b.Len() <= 16
	if scan {
		kb = reflect.New(t.Key()).Elem()
	}
	ia, ib := a.MapRange(), b.MapRange()
	for ia.Next() {
		ka.SetIterKey(ia)
		va.SetIterValue(ia)
		ok := false
		if scan {
			ib.Reset(b)
			for ib.Next() {
				if kb.SetIterKey(ib); kb.String() == ka.String() {
					vb.SetIterValue(ib)
					ok = true
					break
				}
			}
		} else if y := b.MapIndex(ka); y.IsValid() {
			vb.Set(y)
			ok = true
		}
		if !ok {
			d.found = true
			return
		}
		d.value(va, vb)
		if d.found {
			return
		}
	}
}

// decimalOf reads the decimal in v without boxing it when v is addressable.
func decimalOf(v reflect.Value) decimal.Decimal {
	if v.CanAddr() {
		return *v.Addr().Interface().(*decimal.Decimal)
	}
	return v.Interface().(decimal.Decimal)
}

// nullDecimalOf is decimalOf for a decimal.NullDecimal.
func nullDecimalOf(v reflect.Value) decimal.NullDecimal {
	if v.CanAddr() {
		return *v.Addr().Interface().(*decimal.NullDecimal)
	}
	return v.Interface().(decimal.NullDecimal)
}

// fieldInfo is what the differ needs of a struct field.
type fieldInfo struct {
	index     int
	name      string // the JSON name
	anonymous bool   // embedded: its fields are the outer struct's
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

// fieldsOf returns the compared fields of struct type t: the exported ones
// not tagged json:"-".
func fieldsOf(t reflect.Type) []fieldInfo {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]fieldInfo)
	}
	var fs []fieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs = append(fs, fieldInfo{index: i, name: name, anonymous: f.Anonymous})
	}
	fieldCache.Store(t, fs)
	return fs
}

// PathKey is how a map key or an object key (a market or account name, a
// field name) appears in a JSON path (SPEC EVAL-3): as it is when it is a
// plain name, 1 to MaxEcho bytes of printable ASCII other than space, '.',
// '[', ']', '"' and backslash; otherwise as Quote gives it, a double-quoted
// string with Go/JSON escapes, truncated. So markets."A.b".tickSize and
// markets.A.b.tickSize are different paths, and a path never carries a
// control character or more than a bounded part of a hostile name.
func PathKey(name string) string {
	if plainKey(name) {
		return name
	}
	return Quote(name)
}

func plainKey(name string) bool {
	if name == "" || len(name) > MaxEcho {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c <= ' ' || c >= 0x7f, c == '.', c == '[', c == ']', c == '"', c == '\\':
			return false
		}
	}
	return true
}

// MaxEcho is the most bytes of a user's string that an error message or a
// path repeats (SPEC EVAL-3, EVAL-4).
const MaxEcho = 40

// Quote is how an error message or a path repeats a string taken from the
// input (SPEC EVAL-4): its first MaxEcho bytes (cut at a UTF-8 boundary when
// the string is valid UTF-8) as a double-quoted Go string literal
// (strconv.Quote: control characters, '"', backslash and invalid UTF-8 escaped),
// followed by "..." outside the quotes when something was cut. The result
// is at most 4*MaxEcho+5 bytes, whatever the input.
func Quote(s string) string {
	if len(s) <= MaxEcho {
		return strconv.Quote(s)
	}
	cut := MaxEcho
	for cut > MaxEcho-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

func unionKeys(a, b reflect.Value) []reflect.Value {
	seen := map[string]reflect.Value{}
	for _, m := range []reflect.Value{a, b} {
		it := m.MapRange()
		for it.Next() {
			seen[it.Key().String()] = it.Key()
		}
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	slices.Sort(names)
	keys := make([]reflect.Value, len(names))
	for i, n := range names {
		keys[i] = seen[n]
	}
	return keys
}

// decimalsEqual compares by value, or (exact) by representation: the same
// exponent and, then equivalently, the same value (so the coefficients are
// equal without computing them: Coefficient allocates).
func decimalsEqual(x, y decimal.Decimal, exact bool) bool {
	if exact && x.Exponent() != y.Exponent() {
		return false
	}
	return x.Equal(y)
}

func decString(x decimal.Decimal, exact bool) string {
	if exact {
		return x.Coefficient().String() + "e" + strconv.Itoa(int(x.Exponent()))
	}
	return x.String()
}

func nullString(x decimal.NullDecimal, exact bool) string {
	if !x.Valid {
		if exact {
			return "null(" + decString(x.Decimal, true) + ")"
		}
		return "null"
	}
	return decString(x.Decimal, exact)
}

func nilOr(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return "non-nil"
}

func nilOrLen(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return strconv.Itoa(v.Len()) + " entries"
}
