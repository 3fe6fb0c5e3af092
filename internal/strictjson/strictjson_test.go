package strictjson

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

type inner struct {
	Size decimal.Decimal     `json:"size" strict:"required"`
	Lev  decimal.NullDecimal `json:"leverage"`
	Side string              `json:"side"`
	N    int                 `json:"n"`
	Ok   bool                `json:"ok"`
}

type outer struct {
	Items []inner             `json:"items"`
	ByKey map[string]inner    `json:"byKey"`
	Ptr   *inner              `json:"ptr"`
	Skip  string              `json:"-"`
	Raw   decimal.NullDecimal `json:"raw"`
	Alts  []alt               `json:"alts"`
}

// alt has a field required unless another one is given.
type alt struct {
	Lev decimal.NullDecimal `json:"leverage"`
	Alt string              `json:"alt" strict:"required,unless=leverage"`
}

func TestUnmarshalErrorsNamePath(t *testing.T) {
	tests := []struct {
		name, in, path, msg string
	}{
		{"unknown field", `{"items":[{"size":"1","bogus":1}]}`, "items[0].bogus", "unknown field"},
		{"bad decimal", `{"items":[{"size":"1"},{"size":"abc"}]}`, "items[1].size", "not a decimal"},
		{"NaN rejected", `{"byKey":{"BTC":{"size":"NaN"}}}`, "byKey.BTC.size", "not a decimal"},
		{"huge exponent", `{"items":[{"size":1e400000}]}`, "items[0].size", "not a decimal"},
		{"plus sign", `{"items":[{"size":"+1"}]}`, "items[0].size", "not a decimal"},
		{"null required decimal", `{"items":[{"size":null}]}`, "items[0].size", "required field is absent or null"},
		{"absent required decimal", `{"items":[{"n":1}]}`, "items[0].size", "required field is absent or null"},
		{"absent required after inner errors", `{"items":[{"n":"3"}]}`, "items[0].n", "want an integer"},
		{"unless field absent", `{"alts":[{"leverage":"1"},{}]}`, "alts[1].alt", "(and leverage is not given)"},
		{"unless field null", `{"alts":[{"alt":"x"},{"leverage":null}]}`, "alts[1].alt", "required"},
		{"BOM", "\xef\xbb\xbf{}", "", "byte-order mark"},
		// SPEC EVAL-4: errors of the JSON text are at the document ("" here,
		// "$" in a SPEC error); the offsets are counted by hand.
		{"invalid UTF-8 in a value", "{\"items\":[{\"side\":\"a\xffb\"}]}", "", "invalid UTF-8 at byte offset 20"},
		{"invalid UTF-8 in a key", "{\"items\":[{\"s\xffx\":1}]}", "", "invalid UTF-8 at byte offset 13"},
		{"unpaired surrogate", `{"items":[{"side":"\ud800x"}]}`, "", "unpaired UTF-16 surrogate escape at byte offset 19"},
		{"reversed surrogates", `{"items":[{"side":"\udc00\ud800"}]}`, "", "unpaired UTF-16 surrogate escape at byte offset 19"},
		{"high surrogate at the end of a string", `{"items":[{"side":"x\ud800"}]}`, "", "unpaired UTF-16 surrogate escape at byte offset 20"},
		{"unpaired surrogate in a key", `{"items":[{"\udfff":1}]}`, "", "unpaired UTF-16 surrogate escape at byte offset 12"},
		{"a pair is fine, then a lone one", `{"items":[{"side":"\ud83d\ude00","\ud800":1}]}`, "", "at byte offset 34"},
		{"escaped backslash before u is not an escape", `{"items":[{"side":"\\ud800","bogus":1}]}`, "items[0].bogus", "unknown field"},
		{"a text error beats an earlier duplicate key", `{"items":[],"items":[],"x":"\udc00"}`, "", "unpaired UTF-16 surrogate"},
		{"a syntax error beats an earlier duplicate key", `{"items":[],"items":[],"x":NaN}`, "", "invalid JSON"},
		{"a syntax error beats an earlier unknown field", `{"bogus":1,"items":[{"size":Infinity}]}`, "", "invalid JSON"},
		{"dotted key is quoted", `{"byKey":{"A.b":{"size":"x"}}}`, `byKey."A.b".size`, "not a decimal"},
		{"control key is quoted", `{"items":[{"size":"1","\u001b[31m":1}]}`, `items[0]."\x1b[31m"`, "unknown field"},
		{"long key is cut", `{"` + strings.Repeat("k", 1000) + `":1}`, `"` + strings.Repeat("k", 40) + `"...`, "unknown field"},
		{"string for int", `{"items":[{"n":"3"}]}`, "items[0].n", "want an integer"},
		{"number for string", `{"items":[{"side":3}]}`, "items[0].side", "want a string"},
		{"duplicate key", `{"items":[],"items":[]}`, "items", "duplicate key"},
		{"object for array", `{"items":{}}`, "items", "want an array"},
		{"trailing data", `{} {}`, "", "after the JSON document"},
		{"truncated", `{"items":[`, "", "unexpected end"},
		{"not json", `hello`, "", "invalid JSON"},
		{"json tag dash is not a key", `{"Skip":"x"}`, "Skip", "unknown field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v outer
			err := Unmarshal([]byte(tc.in), &v)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if e.Path != tc.path || !strings.Contains(e.Msg, tc.msg) {
				t.Fatalf("got path %q msg %q, want path %q msg containing %q", e.Path, e.Msg, tc.path, tc.msg)
			}
		})
	}
}

func TestUnmarshalValues(t *testing.T) {
	in := `{"items":[{"size":0.0065,"leverage":"12.5","side":"long","n":-3,"ok":true},{"size":"1E-8","leverage":null}],
	        "byKey":{"a":{"size":"2"}},"ptr":{"size":"3"},"raw":null}`
	var v outer
	if err := Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if !v.Items[0].Size.Equal(decimal.RequireFromString("0.0065")) || v.Items[0].Size.String() != "0.0065" {
		t.Errorf("number literal not exact: %s", v.Items[0].Size)
	}
	if !v.Items[0].Lev.Valid || v.Items[0].Lev.Decimal.String() != "12.5" {
		t.Errorf("leverage = %+v", v.Items[0].Lev)
	}
	if v.Items[1].Lev.Valid || v.Raw.Valid {
		t.Errorf("null must give an invalid NullDecimal")
	}
	if !v.Items[1].Size.Equal(decimal.New(1, -8)) {
		t.Errorf("exponent form: %s", v.Items[1].Size)
	}
	if v.Items[0].Side != "long" || v.Items[0].N != -3 || !v.Items[0].Ok {
		t.Errorf("scalars: %+v", v.Items[0])
	}
	if v.ByKey["a"].Size.String() != "2" || v.Ptr == nil || v.Ptr.Size.String() != "3" {
		t.Errorf("map/pointer: %+v %+v", v.ByKey, v.Ptr)
	}
}

func TestDepthLimit(t *testing.T) {
	in := strings.Repeat("[", MaxDepth+5) + strings.Repeat("]", MaxDepth+5)
	var v any
	var sink []any
	_ = v
	if err := Unmarshal([]byte(in), &sink); err == nil || !strings.Contains(err.Error(), "nesting") {
		t.Fatalf("err = %v, want a nesting error", err)
	}
}

// specGrammar is SPEC EVAL-4's decimal grammar copied verbatim from SPEC.md,
// anchored: the oracle ValidDecimal is checked against.
var specGrammar = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?$`)

// TestDecimalGrammarIsSpecs checks that DecimalGrammar is the grammar SPEC.md
// writes in EVAL-4, so error messages quote the contract.
func TestDecimalGrammarIsSpecs(t *testing.T) {
	if got, want := "^"+DecimalGrammar+"$", specGrammar.String(); got != want {
		t.Fatalf("DecimalGrammar = %s, SPEC EVAL-4 says %s", got, want)
	}
	spec, err := os.ReadFile("../../SPEC.md")
	if err != nil {
		t.Skipf("SPEC.md: %v", err)
	}
	if !strings.Contains(string(spec), "`"+DecimalGrammar+"`") {
		t.Fatalf("SPEC.md does not state the grammar %s", DecimalGrammar)
	}
}

// TestValidDecimal is EVAL-4's wording as a table: "decimals outside the
// grammar -?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,3})? (so no NaN, Inf, hex, _,
// leading +, or 4-digit exponents) are errors". Every row is also checked
// against the grammar as a regular expression.
func TestValidDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want bool
		why  string
	}{
		{"0", true, "one digit"},
		{"-1", true, "leading minus"},
		{"-0", true, "negative zero is a decimal"},
		{"-0.0", true, "negative zero with a fraction"},
		{"1.5", true, "fraction"},
		{"0.00000001", true, "one unit"},
		{"1.500000000", true, "trailing zeros (NUM-1 accepts them)"},
		{"007", true, "leading zeros"},
		{"12345678901234567890", true, "beyond int64: the grammar has no length bound"},
		{"1e3", true, "exponent"},
		{"1E-8", true, "capital E, negative exponent"},
		{"1e+8", true, "explicit plus in the exponent"},
		{"2.5e-008", true, "three-digit exponent"},
		{"1e999", true, "largest exponent the grammar allows"},
		{"", false, "empty"},
		{"-", false, "sign alone"},
		{".", false, "point alone"},
		{"1.", false, "point without fraction digits"},
		{".5", false, "fraction without integer digits"},
		{"-.5", false, "signed fraction without integer digits"},
		{"+1", false, "leading +"},
		{"--1", false, "double minus"},
		{"1e", false, "exponent without digits"},
		{"1e+", false, "exponent sign without digits"},
		{"1e1000", false, "4-digit exponent"},
		{"1e0001", false, "4-digit exponent with leading zeros"},
		{"1.5e", false, "fraction then bare e"},
		{"1e1.5", false, "fractional exponent"},
		{"0x10", false, "hex"},
		{"1_000", false, "underscore"},
		{"1,5", false, "comma"},
		{" 1", false, "leading space"},
		{"1 ", false, "trailing space"},
		{"1\n", false, "trailing newline"},
		{"Inf", false, "Inf"},
		{"-Infinity", false, "-Infinity"},
		{"NaN", false, "NaN"},
		{"\u22122", false, "Unicode minus"},
		{"\uff11", false, "fullwidth digit"},
		{"1.2.3", false, "two points"},
		{"1e2e3", false, "two exponents"},
	}
	for _, tt := range tests {
		if got := ValidDecimal(tt.in); got != tt.want {
			t.Errorf("ValidDecimal(%q) = %v, want %v (%s)", tt.in, got, tt.want, tt.why)
		}
		if got := specGrammar.MatchString(tt.in); got != tt.want {
			t.Errorf("table row %q (%s) says %v, the SPEC grammar says %v", tt.in, tt.why, tt.want, got)
		}
	}
}

// FuzzValidDecimal checks ValidDecimal against SPEC EVAL-4's grammar as a
// regular expression on arbitrary strings.
func FuzzValidDecimal(f *testing.F) {
	for _, s := range []string{"0", "-1.5e-008", "1e1000", "+1", ".5", "1.", "0x10", "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidDecimal(s), specGrammar.MatchString(s); got != want {
			t.Fatalf("ValidDecimal(%q) = %v, SPEC grammar says %v", s, got, want)
		}
	})
}

// TestParseDecimal checks that ParseDecimal accepts the grammar up to
// MaxDecimalDigits digits before the exponent, reads the value exactly, and
// rejects the rest.
func TestParseDecimal(t *testing.T) {
	digits := func(n int) string { return strings.Repeat("1", n) }
	tests := []struct {
		in   string
		want string // the value, or "" for an error
	}{
		{"0", "0"},
		{"-1", "-1"},
		{"1.5", "1.5"},
		{"0.00000001", "0.00000001"},
		{"1e3", "1000"},
		{"1E-8", "0.00000001"},
		{"-0.0", "0"},
		{"12345678901234567890", "12345678901234567890"},
		{digits(MaxDecimalDigits), digits(MaxDecimalDigits)},
		{"-" + digits(30) + "." + digits(30) + "e-999", "-" + digits(30) + "." + digits(30) + "e-999"},
		// Longer literals are read; beyond MaxDecimalDigits significant
		// digits a value breaking the same NUM rule stands in.
		{"1000." + strings.Repeat("0", 60), "1000"},
		{"-0" + strings.Repeat("0", 70) + ".5" + strings.Repeat("0", 70), "-0.5"},
		{"1" + strings.Repeat("0", 60), "1e60"},
		{"0." + strings.Repeat("0", 70), "0"},
		{digits(MaxDecimalDigits + 1), digits(MaxDecimalDigits) + "0"},
		{"-" + digits(MaxDecimalDigits+1) + "e-5", "-" + digits(MaxDecimalDigits) + "e-4"},
		{digits(30) + "." + digits(31), digits(30) + "." + digits(29) + "1"},
		{"0." + digits(100), "0." + digits(59) + "1"},
		{"0.00000000" + digits(100), "0.00000000" + digits(59) + "1"},
		{digits(100) + "e-200", digits(59) + "1e-160"},
		{digits(70) + "e-61", digits(59) + "1e-51"},
		{"", ""},
		{"-", ""},
		{".5", ""},
		{"1.", ""},
		{"+1", ""},
		{"1e", ""},
		{"1e1000", ""},
		{"0x10", ""},
		{"1_000", ""},
		{" 1", ""},
		{"Inf", ""},
		{"NaN", ""},
		{"\u22122", ""},
		{"1.2.3", ""},
	}
	for _, tt := range tests {
		d, err := ParseDecimal(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseDecimal(%q) = %s, want an error", tt.in, d)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDecimal(%q) = %v, want %s", tt.in, err, tt.want)
			continue
		}
		if want := decimal.RequireFromString(tt.want); !d.Equal(want) {
			t.Errorf("ParseDecimal(%q) = %s, want %s", tt.in, d, want)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"items":[{"size":"1.5","leverage":3}]}`))
	f.Add([]byte(`{"byKey":{"x":{"size":1e-8}},"ptr":null}`))
	f.Add([]byte(`[[[[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v outer
		_ = Unmarshal(data, &v) // must not panic
	})
}

type base struct {
	A decimal.Decimal `json:"a"`
	B string          `json:"b"`
}

type withEmbedded struct {
	base
	B string   `json:"b"` // shadows base.B, as in encoding/json
	C []string `json:"c"`
}

func TestEmbeddedStructFieldsArePromoted(t *testing.T) {
	var v withEmbedded
	if err := Unmarshal([]byte(`{"a":"1.5","b":"outer","c":["x"]}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "1.5" || v.B != "outer" || v.base.B != "" || len(v.C) != 1 {
		t.Fatalf("got %+v", v)
	}
	if err := Unmarshal([]byte(`{"base":{}}`), &v); err == nil {
		t.Fatal("the embedded struct's own name must not be a key")
	}
}
