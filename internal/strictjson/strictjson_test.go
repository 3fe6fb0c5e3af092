package strictjson

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

type inner struct {
	Size decimal.Decimal     `json:"size"`
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
		{"null required decimal", `{"items":[{"size":null}]}`, "items[0].size", "required"},
		{"string for int", `{"items":[{"n":"3"}]}`, "items[0].n", "want an integer"},
		{"number for string", `{"items":[{"side":3}]}`, "items[0].side", "want a string"},
		{"duplicate key", `{"items":[],"items":[]}`, "items", "duplicate key"},
		{"object for array", `{"items":{}}`, "items", "want an array"},
		{"trailing data", `{} {}`, "", "after the JSON document"},
		{"truncated", `{"items":[`, "items", "unexpected end"},
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

func TestParseDecimalGrammar(t *testing.T) {
	good := []string{"0", "-1", "1.5", "0.00000001", "0.5", "1e3", "1E-8", "-0.0", "12345678901234567890"}
	bad := []string{"", "-", ".", "1.", ".5", "+1", "1e", "1e1000", "0x10", "1_000", " 1", "1 ", "Inf", "NaN", "−2", "1.2.3"}
	for _, s := range good {
		if _, err := ParseDecimal(s); err != nil {
			t.Errorf("ParseDecimal(%q) = %v, want ok", s, err)
		}
	}
	for _, s := range bad {
		if _, err := ParseDecimal(s); err == nil {
			t.Errorf("ParseDecimal(%q) accepted, want error", s)
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
