package protocol

import (
	"reflect"
	"testing"
)

func TestSplitObject(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []member // nil: not a plain object
	}{
		{`{}`, []member{}},
		{` { } `, []member{}},
		{`{"a":1}`, []member{{"a", []byte("1")}}},
		{` {"a" : "x\"}" , "b":[1,{"c":"]"}] ,"c":{"d":"\\"}} `, []member{{"a", []byte(`"x\"}"`)}, {"b", []byte(`[1,{"c":"]"}]`)}, {"c", []byte(`{"d":"\\"}`)}}},
		{`{"a":"\\\\"}`, []member{{"a", []byte(`"\\\\"`)}}},
		{`{"a":1,"a":2}`, nil},
		{`{"\u0061":1}`, nil},
		{`{"a":1,}`, nil},
		{`{"a":1} x`, nil},
		{`{"a":{"b":1}`, nil},
		{`{"a":"x}`, nil},
		{`{"a":}`, nil},
		{`[1]`, nil},
		{``, nil},
		{"{\"a\xff\":1}", nil},
	} {
		got, ok := splitObject([]byte(tc.in), nil)
		switch {
		case !ok:
			got = nil
		case got == nil:
			got = []member{}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitObject(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A member named as last runs to the object's closing brace, unscanned.
func TestSplitObjectLast(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []member
	}{
		{`{"a":1,"b":{"c":"}"} }`, []member{{"a", []byte("1")}, {"b", []byte(`{"c":"}"}`)}}},
		{`{"b":[1] ,"a":2}`, []member{{"b", []byte(`[1] ,"a":2`)}}},
		{`{"b":"x","a":2}`, []member{{"b", []byte(`"x"`)}, {"a", []byte("2")}}},
		{`{"b":{}`, []member{{"b", []byte(`{`)}}},
		{`{"b":{} x`, nil},
	} {
		got, ok := splitObject([]byte(tc.in), nil, "b")
		if !ok {
			got = nil
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitObject(%s, last b) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJSONInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"12", 12, true}, {"-7", -7, true}, {"999999999999999999", 999999999999999999, true},
		{"01", 0, false}, {"+1", 0, false}, {"1e2", 0, false}, {"1.0", 0, false}, {"-", 0, false}, {"", 0, false},
		{"9999999999999999999", 0, false}, {`"1"`, 0, false},
	} {
		got, ok := jsonInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("jsonInt(%q) = %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
