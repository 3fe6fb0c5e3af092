package strictjson_test

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/vectors"
)

// target is a type the differential tests decode into.
type target struct {
	name string
	new  func() any // a pointer to a fresh zero value
}

func targetOf[T any](name string) target {
	return target{name, func() any { return new(T) }}
}

// odd exercises what the contract types do not: ints of every size,
// unsigned ints, a pointer to a scalar, a map of non-struct values,
// NullDecimal in a slice, nested slices, an embedded struct, "unless".
type odd struct {
	Embedded
	I8    int8                       `json:"i8"`
	I64   int64                      `json:"i64"`
	U16   uint16                     `json:"u16"`
	U     uint                       `json:"u"`
	B     bool                       `json:"b" strict:"required"`
	P     *string                    `json:"p"`
	ND    []decimal.NullDecimal      `json:"nd"`
	PD    *decimal.Decimal           `json:"pd"`
	M     map[string][]int           `json:"m"`
	MD    map[string]decimal.Decimal `json:"md"`
	SS    [][]string                 `json:"ss"`
	A     string                     `json:"a" strict:"required,unless=z"`
	Z     string                     `json:"z"`
	Raw   json.RawMessage            `json:"raw"`
	Any   any                        `json:"any"`
	Named map[spec.Side]spec.Side    `json:"named"`
	Self  *odd                       `json:"self"`
	F     float64                    `json:"f"`
	Skip  string                     `json:"-"`
}

type Embedded struct {
	E  string `json:"e"`
	E2 int    `json:"e2" strict:"required"`
}

var targets = []target{
	targetOf[spec.Scenario]("Scenario"),
	targetOf[spec.Report]("Report"),
	targetOf[spec.State]("State"),
	targetOf[spec.Event]("Event"),
	targetOf[[]spec.Effect]("[]Effect"),
	targetOf[spec.Run]("Run"),
	targetOf[vectors.QueryFile]("QueryFile"),
	targetOf[vectors.LedgerFile]("LedgerFile"),
	targetOf[vectors.Manifest]("Manifest"),
	targetOf[odd]("odd"),
	targetOf[map[string]decimal.Decimal]("map"),
	targetOf[decimal.Decimal]("Decimal"),
	targetOf[*spec.Scenario]("*Scenario"),
}

// compare decodes data into a fresh value of tg with Unmarshal and with
// the reference and fails on any difference of value or error. It reports
// whether the direct decoder alone accepted data.
func compare(t testing.TB, tg target, data []byte) bool {
	t.Helper()
	got, want := tg.new(), tg.new()
	gerr, werr := strictjson.Unmarshal(data, got), strictjson.UnmarshalReference(data, want)
	if fmt.Sprintf("%#v", gerr) != fmt.Sprintf("%#v", werr) {
		t.Fatalf("%s: %.200q:\nerror %#v\nreference %#v", tg.name, data, gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: %.200q:\nvalue %#v\nreference %#v", tg.name, data, got, want)
	}
	direct := tg.new()
	ok := strictjson.DirectAccepts(data, direct)
	if ok && (werr != nil || !reflect.DeepEqual(direct, want)) {
		t.Fatalf("%s: %.200q: the direct decoder accepts what the reference gives %v", tg.name, data, werr)
	}
	if !ok && !reflect.DeepEqual(direct, tg.new()) {
		t.Fatalf("%s: %.200q: the direct decoder gave up but changed the value", tg.name, data)
	}
	return ok
}

// corpus is the documents of the differential test: the examples, the
// vector files and their pieces (scenarios, states, events, effects,
// reports, as encoding/json writes them, and the raw scenario texts),
// and generated scenarios, states and runs.
func corpus(t testing.TB) [][]byte {
	var docs [][]byte
	add := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	files, _ := filepath.Glob("../../examples/*/*.json")
	vfiles, _ := filepath.Glob("../../vectors/v1/*/*/*.json")
	mf, _ := filepath.Glob("../../vectors/v1/*.json")
	for _, f := range append(append(files, vfiles...), mf...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	set, err := vectors.Load("../../vectors/v1")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range set.Query {
		for _, g := range q.File.TestGroups {
			for _, tc := range g.Tests {
				if tc.Scenario != nil {
					add(tc.Scenario)
				}
				if tc.ScenarioText != "" {
					docs = append(docs, []byte(tc.ScenarioText))
				}
				if tc.Expected.Report != nil {
					add(tc.Expected.Report)
				}
			}
		}
	}
	for _, l := range set.Ledger {
		for _, g := range l.File.TestGroups {
			for _, tc := range g.Tests {
				add(tc.Pre)
				for _, ev := range tc.Events {
					add(ev)
				}
				for _, o := range tc.Expected {
					add(o)
					if o.Effects != nil {
						add(o.Effects)
					}
				}
				if tc.Post != nil {
					add(tc.Post)
				}
			}
		}
	}
	all := gen.Config{Isolated: true, EntryBasis: true, ComputedMark: true, Funding: true, ADL: true}
	for seed := range 30 {
		add(gen.Scenario(all).Example(seed))
		add(gen.EdgeScenario(all).Example(seed))
		add(gen.LedgerState(all).Example(seed))
		add(gen.LedgerRun(all).Example(seed))
	}
	for _, s := range []string{
		`{}`, `[]`, `null`, `"1"`, `1`, `-0`, `"-0.000"`, `1e3`, `"1E-3"`, `"0.10"`, `123456789012345678`,
		`"-12345678901234567"`, `"-123456789012345678"`, `"1234567890123456789"`, `"1.00000000000000000000001"`,
		`"1e999"`, `"1e-999"`, `"1e1000"`, `1E+005`, `"01"`, `"+1"`, `".5"`, `"5."`, `"\u0031"`, `" 1"`,
		`{"i8":127,"i64":-9223372036854775808,"u16":65535,"u":18446744073709551615,"b":true,"p":"x",
		  "nd":[null,"1.5",2],"pd":"3","m":{"a":[1,2],"b":null,"c":[]},"md":{"x":"1"},"ss":[[],["a"],null],
		  "a":"é\u00e9\ud83d\ude00","e":"emb","e2":1,"named":{"long":"short"},"self":{"b":false,"z":"1","e2":0},"f":null}`,
		`{"i8":128,"b":true,"a":"","e2":1}`, `{"i8":-129,"b":true,"a":"","e2":1}`, `{"u16":-0,"b":true,"a":"","e2":1}`,
		`{"i64":9223372036854775808,"b":true,"a":"","e2":1}`, `{"i64":-0,"b":true,"a":"","e2":1}`, `{"i64":1.0,"b":true,"a":"","e2":1}`,
		`{"b":true,"z":"x","e2":1}`, `{"b":true,"e2":1}`, `{"b":true,"a":"","e2":1,"raw":null}`, `{"b":true,"a":"","e2":1,"raw":1}`,
		`{"b":true,"a":"","e2":1,"any":null}`, `{"b":true,"a":"","e2":1,"f":1}`, `{"b":true,"a":"","e2":1,"Skip":"x"}`,
		`{"b":true,"a":"","e2":1,"m":{"a":[],"a":[]}}`, `{"b":true,"a":"","e2":1,"b":true}`, `{"b":true,"a":"\ud800","e2":1}`,
		`{"b":true,"a":"` + "\xff" + `","e2":1}`, `{"b":true,"a":"x","e2":1} x`, `{"b":true,"a":"x","e2":1}` + " \n\t\r",
		"\xef\xbb\xbf{}", `{"x":"1","x":"2"}`, `{"x":"1","y":null}`, `{"x":1.5e-3,"y":-0.0}`,
		strings.Repeat(`{"self":`, 70) + `{}` + strings.Repeat(`}`, 70),
		strings.Repeat(`{"self":`, 63) + `{"b":true,"a":"","e2":1}` + strings.Repeat(`,"b":true,"a":"","e2":1}`, 63),
		strings.Repeat(`{"self":`, 64) + `{"b":true,"a":"","e2":1}` + strings.Repeat(`,"b":true,"a":"","e2":1}`, 64),
		strings.Repeat(`{"self":`, 65) + `{"b":true,"a":"","e2":1}` + strings.Repeat(`,"b":true,"a":"","e2":1}`, 65),
		`{"b":true,"a":"","e2":1,"ss":` + strings.Repeat(`[`, 66) + strings.Repeat(`]`, 66) + `}`,
		`{"b":true,"a":"","e2":1,"ss":[` + strings.Repeat(`["a","b","c"],`, 40) + `[]]}`,
	} {
		docs = append(docs, []byte(s))
	}
	return docs
}

// mutate returns a copy of b with one random edit.
func mutate(r *rand.Rand, b []byte) []byte {
	if len(b) == 0 {
		return []byte("{")
	}
	out := append([]byte(nil), b...)
	i := r.Intn(len(out))
	pieces := []string{"null", `""`, `"x"`, "0", "-", ".", "e", "1e5", `"1.5"`, "{}", "[]", ",", ":", `"`, `\`, `\u0000`, "\xff", "true", " ", `{"a":1}`, "1.000000000000000000001"}
	switch r.Intn(6) {
	case 0: // delete a byte
		return append(out[:i], out[i+1:]...)
	case 1: // duplicate a stretch
		j := min(len(b), i+1+r.Intn(40))
		return append(append(append([]byte(nil), b[:j]...), b[i:j]...), b[j:]...)
	case 2: // replace a byte
		const alphabet = "{}[],:\"\\0123456789.eE-+ntfu \xc3"
		out[i] = alphabet[r.Intn(len(alphabet))]
		return out
	case 3: // insert a piece
		p := pieces[r.Intn(len(pieces))]
		return append(append(append([]byte(nil), b[:i]...), p...), b[i:]...)
	case 4: // truncate
		return out[:i]
	default: // replace a value after a colon by a piece
		j := strings.IndexByte(string(b[i:]), ':')
		if j < 0 {
			return out
		}
		j += i + 1
		k := j
		for k < len(b) && b[k] != ',' && b[k] != '}' && b[k] != ']' {
			k++
		}
		p := pieces[r.Intn(len(pieces))]
		return append(append(append([]byte(nil), b[:j]...), p...), b[k:]...)
	}
}

// TestDirectMatchesReference: Unmarshal (the direct decoder, then the
// reference where it gives up) gives the reference's value and error for
// every document of the corpus and for mutations of them, into every
// target type; and the direct decoder alone takes the valid documents.
func TestDirectMatchesReference(t *testing.T) {
	docs := corpus(t)
	r := rand.New(rand.NewSource(1))
	direct, valid := 0, 0
	for _, d := range docs {
		for _, tg := range targets {
			if compare(t, tg, d) {
				direct++
			}
			if strictjson.UnmarshalReference(d, tg.new()) == nil {
				valid++
			}
		}
		n := 20
		if testing.Short() || len(d) > 16<<10 {
			n = 0 // the vector files: big, and their pieces are in the corpus
		}
		for range n {
			m := mutate(r, d)
			for range r.Intn(3) {
				m = mutate(r, m)
			}
			for range 3 {
				compare(t, targets[r.Intn(len(targets))], m)
			}
		}
	}
	t.Logf("%d documents: %d decodings valid, %d of them by the direct decoder alone", len(docs), valid, direct)
	if direct < valid*9/10 {
		t.Errorf("the direct decoder took only %d of %d valid decodings", direct, valid)
	}
}

// TestDirectKeepsValue: decoding into a value that is not zero changes the
// same fields as the reference, and a failed decoding leaves it as the
// reference does.
func TestDirectKeepsValue(t *testing.T) {
	docs := []string{
		`{"account":{"walletBalance":"5"}}`,
		`{"account":{"walletBalance":"5","positions":null}}`,
		`{"account":{"walletBalance":"x"}}`,
		`{"account":{"walletBalance":"5"},"prices":{"BTC":{"mark":"1"}}} x`,
	}
	for _, d := range docs {
		mk := func() *spec.Scenario {
			s := gen.Scenario(gen.Config{Isolated: true}).Example(3)
			return s
		}
		got, want := mk(), mk()
		gerr, werr := strictjson.Unmarshal([]byte(d), got), strictjson.UnmarshalReference([]byte(d), want)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v %+v, reference %v %+v", d, gerr, got, werr, want)
		}
	}
}

// TestDecimalExponent: decimals read by the direct decoder have the
// coefficient and exponent of decimal.NewFromString.
func TestDecimalExponent(t *testing.T) {
	for _, s := range []string{"0", "-0", "0.00", "-0.10", "1e3", "1E-3", "1.50e+2", "123456789012345678",
		"-12345678901234567", "12345678901234567.8", "-1234567890123456.78", "0.000000000000000001", "9e999", "1e-999"} {
		var got decimal.Decimal
		if err := strictjson.Unmarshal([]byte(`"`+s+`"`), &got); err != nil {
			t.Fatal(s, err)
		}
		want, err := decimal.NewFromString(s)
		if err != nil {
			t.Fatal(s, err)
		}
		if got.Exponent() != want.Exponent() || got.Coefficient().Cmp(want.Coefficient()) != 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s e%d, NewFromString %s e%d", s, got.Coefficient(), got.Exponent(), want.Coefficient(), want.Exponent())
		}
	}
}

// FuzzDirect compares Unmarshal with the reference on any input.
func FuzzDirect(f *testing.F) {
	for _, d := range corpus(f) {
		if len(d) < 4096 {
			f.Add(d)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tg := range targets {
			compare(t, tg, data)
		}
	})
}

func benchDocs(b *testing.B) map[string][]byte {
	docs := map[string][]byte{}
	for _, name := range []string{"binance-btcusdt-profile", "seed-cross-example-a", "seed-xrp-isolated"} {
		d, err := os.ReadFile("../../examples/scenarios/" + name + ".json")
		if err != nil {
			b.Fatal(err)
		}
		docs[name] = d
	}
	return docs
}

// BenchmarkDecode decodes the example scenarios, a generated scenario, its
// report (from a vector) and a ledger state.
func BenchmarkDecode(b *testing.B) {
	type doc struct {
		name string
		data []byte
		tg   target
	}
	var docs []doc
	for name, d := range benchDocs(b) {
		docs = append(docs, doc{"scenario=" + name, d, targets[0]})
	}
	sc, _ := json.Marshal(gen.Scenario(gen.Config{Isolated: true, EntryBasis: true}).Example(1))
	docs = append(docs, doc{"scenario=gen", sc, targets[0]})
	set, err := vectors.Load("../../vectors/v1")
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range set.Query {
		for _, g := range q.File.TestGroups {
			for _, tc := range g.Tests {
				if tc.Expected.Report != nil && len(tc.Expected.Report.Positions) > 0 && len(docs) < 5 {
					rep, _ := json.Marshal(tc.Expected.Report)
					docs = append(docs, doc{"report=vector", rep, targets[1]})
				}
			}
		}
	}
	st, _ := json.Marshal(gen.LedgerState(gen.Config{Isolated: true}).Example(1))
	docs = append(docs, doc{"state=gen", st, targets[2]})
	for _, d := range docs {
		for _, impl := range []string{"unmarshal", "reference"} {
			f := strictjson.Unmarshal
			if impl == "reference" {
				f = strictjson.UnmarshalReference
			}
			b.Run(d.name+"/impl="+impl, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(d.data)))
				for b.Loop() {
					if err := f(d.data, d.tg.new()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
