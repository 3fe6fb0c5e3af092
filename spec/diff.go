package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

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
	d := differ{exact: exact}
	d.value("", va, vb)
	return d.out
}

type differ struct {
	exact bool
	out   []string
}

var (
	decimalType     = reflect.TypeFor[decimal.Decimal]()
	nullDecimalType = reflect.TypeFor[decimal.NullDecimal]()
)

func (d *differ) add(path, format string, args ...any) {
	if path == "" {
		path = "(value)"
	}
	d.out = append(d.out, path+": "+fmt.Sprintf(format, args...))
}

func (d *differ) value(path string, a, b reflect.Value) {
	switch a.Type() {
	case decimalType:
		x, y := a.Interface().(decimal.Decimal), b.Interface().(decimal.Decimal)
		if !decimalsEqual(x, y, d.exact) {
			d.add(path, "%s vs %s", decString(x, d.exact), decString(y, d.exact))
		}
		return
	case nullDecimalType:
		x, y := a.Interface().(decimal.NullDecimal), b.Interface().(decimal.NullDecimal)
		same := x.Valid == y.Valid && (!x.Valid && !d.exact || decimalsEqual(x.Decimal, y.Decimal, d.exact))
		if !same {
			d.add(path, "%s vs %s", nullString(x, d.exact), nullString(y, d.exact))
		}
		return
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				d.add(path, "%s vs %s", nilOr(a), nilOr(b))
			}
			return
		}
		if a.Kind() == reflect.Interface && a.Elem().Type() != b.Elem().Type() {
			d.add(path, "%s vs %s", a.Elem().Type(), b.Elem().Type())
			return
		}
		d.value(path, a.Elem(), b.Elem())
	case reflect.Struct:
		t := a.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			p := path
			if !f.Anonymous {
				if name == "" {
					name = f.Name
				}
				p = joinField(path, name)
			}
			d.value(p, a.Field(i), b.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if d.exact && a.Kind() == reflect.Slice && a.IsNil() != b.IsNil() {
			d.add(path, "%s vs %s", nilOrLen(a), nilOrLen(b))
			return
		}
		if a.Len() != b.Len() {
			d.add(path, "%d entries vs %d", a.Len(), b.Len())
		}
		for i := range min(a.Len(), b.Len()) {
			d.value(path+"["+strconv.Itoa(i)+"]", a.Index(i), b.Index(i))
		}
	case reflect.Map:
		if d.exact && a.IsNil() != b.IsNil() {
			d.add(path, "%s vs %s", nilOrLen(a), nilOrLen(b))
			return
		}
		for _, k := range unionKeys(a, b) {
			p := joinField(path, PathKey(k.String()))
			x, y := a.MapIndex(k), b.MapIndex(k)
			switch {
			case !x.IsValid():
				d.add(p, "absent vs present")
			case !y.IsValid():
				d.add(p, "present vs absent")
			default:
				d.value(p, x, y)
			}
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			d.add(path, "%v vs %v", a.Interface(), b.Interface())
		}
	}
}

// PathKey is how a map key (a market or account name) appears in a JSON
// path (SPEC EVAL-3).
func PathKey(name string) string { return name }

func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
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

func decimalsEqual(x, y decimal.Decimal, exact bool) bool {
	if exact {
		return x.Exponent() == y.Exponent() && x.Coefficient().Cmp(y.Coefficient()) == 0
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
