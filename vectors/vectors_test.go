package vectors

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/perpcheck/perpcheck/internal/mutation"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

var update = flag.Bool("update", false, "rewrite vectors/v1 from the generator (go generate does the same)")

// dir is the committed vector directory.
const dir = "v1"

var (
	genOnce  sync.Once
	genFiles map[string][]byte
	genErr   error
)

// generated is Generate's output, computed once per test binary.
func generated(t *testing.T) map[string][]byte {
	t.Helper()
	genOnce.Do(func() { genFiles, genErr = Generate(Options{Examples: "../examples"}) })
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genFiles
}

func loaded(t *testing.T) *Set {
	t.Helper()
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestSync regenerates the vectors in memory and compares them with the
// committed files byte for byte. After a deliberate change of the
// reference, the generators or this package: go test ./vectors -update.
func TestSync(t *testing.T) {
	files := generated(t)
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := Export(dir, Options{Examples: "../examples"}); err != nil {
			t.Fatal(err)
		}
	}
	var onDisk []string
	filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			onDisk = append(onDisk, filepath.ToSlash(rel))
		}
		return nil
	})
	for _, name := range onDisk {
		if _, ok := files[name]; !ok {
			t.Errorf("%s/%s is not generated any more (go test ./vectors -update)", dir, name)
		}
	}
	for _, name := range slices.Sorted(mapsKeys(files)) {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("%v (go test ./vectors -update)", err)
			continue
		}
		if !bytes.Equal(got, files[name]) {
			t.Errorf("%s/%s differs from what the generator writes now (go test ./vectors -update, and review the diff)", dir, name)
		}
	}
}

// TestGenerateDeterministic: two generations give the same bytes.
func TestGenerateDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("generates twice")
	}
	a := generated(t)
	b, err := Generate(Options{Examples: "../examples"})
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s: two generations differ", name)
		}
	}
	if len(a) != len(b) {
		t.Errorf("%d files, then %d", len(a), len(b))
	}
}

// TestManifest: the committed directory loads (hashes and counts match),
// and Load notices every kind of tampering.
func TestManifest(t *testing.T) {
	set := loaded(t)
	if len(set.Query) == 0 || len(set.Ledger) == 0 {
		t.Fatalf("%d query files, %d ledger files", len(set.Query), len(set.Ledger))
	}
	tampers := []struct {
		name string
		f    func(d string) error
		want string
	}{
		{"a changed byte", func(d string) error {
			p := filepath.Join(d, "query", "EVAL", "errors.json")
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, bytes.Replace(data, []byte(`"tcId":1,`), []byte(`"tcId":1 ,`), 1), 0o644)
		}, "sha256"},
		{"an unlisted file", func(d string) error {
			return os.WriteFile(filepath.Join(d, "query", "EVAL", "extra.json"), []byte("{}"), 0o644)
		}, "does not list"},
		{"a missing file", func(d string) error {
			return os.Remove(filepath.Join(d, "query", "EVAL", "errors.json"))
		}, "no such file"},
		{"a wrong count", func(d string) error {
			p := filepath.Join(d, ManifestName)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, regexp.MustCompile(`"numberOfTests": [0-9]+`).ReplaceAll(data, []byte(`"numberOfTests": 1`)), 0o644)
		}, "the manifest says"},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			if err := os.CopyFS(d, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			if _, err := Load(d); err != nil {
				t.Fatalf("the untouched copy does not load: %v", err)
			}
			if err := tc.f(d); err != nil {
				t.Fatal(err)
			}
			_, err := Load(d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// exceptions are the SPEC rules no vector can exercise, with the reason.
var exceptions = map[string]string{
	"PROF-1": "profile resolution happens before an engine sees a scenario: vectors carry every market in full (PROTOCOL.md PR-6); venue's own tests check it",
	"CCXT-1": "loading a CCXT leverage-tier list is not an engine input; venue's tests check it",
	"CCXT-2": "as CCXT-1: the cum check of a CCXT list happens while loading it",
}

// specRules returns the rule ids of SPEC.md but the OPEN section.
func specRules(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../SPEC.md")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range regexp.MustCompile(`\*\*([A-Z]+-[0-9]+)`).FindAllSubmatch(data, -1) {
		if id := string(m[1]); !strings.HasPrefix(id, "OPEN-") {
			ids = append(ids, id)
		}
	}
	if len(ids) < 50 {
		t.Fatalf("found only %d rule ids in SPEC.md", len(ids))
	}
	return sortRules(ids)
}

// namedRules counts the tests naming each rule.
func namedRules(set *Set) map[string]int {
	named := map[string]int{}
	for _, q := range set.Query {
		for _, g := range q.File.TestGroups {
			for _, tc := range g.Tests {
				for _, r := range tc.Rules {
					named[r]++
				}
			}
		}
	}
	for _, l := range set.Ledger {
		for _, g := range l.File.TestGroups {
			for _, tc := range g.Tests {
				for _, r := range tc.Rules {
					named[r]++
				}
			}
		}
	}
	return named
}

// TestRuleCoverage: every SPEC rule has a vector naming it, unless it is an
// exception; no vector names a rule SPEC does not have; no exception is
// stale.
func TestRuleCoverage(t *testing.T) {
	ids := specRules(t)
	named := namedRules(loaded(t))
	for _, id := range ids {
		_, exc := exceptions[id]
		switch {
		case named[id] == 0 && !exc:
			t.Errorf("no vector names %s", id)
		case named[id] > 0 && exc:
			t.Errorf("%s is an exception but %d vectors name it", id, named[id])
		}
	}
	for id := range named {
		if !slices.Contains(ids, id) && !strings.HasPrefix(id, "OPEN-") {
			t.Errorf("vectors name %s, which SPEC.md does not define", id)
		}
	}
	for id := range exceptions {
		if !slices.Contains(ids, id) {
			t.Errorf("exception %s is not a SPEC rule", id)
		}
	}
}

// TestContent: the files hold what the issue asks for.
func TestContent(t *testing.T) {
	set := loaded(t)
	flags := map[string]int{}
	results := map[string]int{}
	for _, q := range set.Query {
		for _, g := range q.File.TestGroups {
			for _, tc := range g.Tests {
				results["query "+tc.Result]++
				for _, f := range tc.Flags {
					flags[f]++
				}
				if tc.Scenario != nil {
					for name, m := range tc.Scenario.Markets {
						if m.Profile != "" || m.Symbol != "" {
							t.Errorf("%s tcId %d: market %s refers to a profile (PR-6 needs it in full)", q.Path, tc.TcID, name)
						}
					}
				}
			}
		}
	}
	for _, l := range set.Ledger {
		for _, g := range l.File.TestGroups {
			for _, tc := range g.Tests {
				results["ledger "+tc.Result]++
				for _, f := range tc.Flags {
					flags[f]++
				}
			}
		}
	}
	for _, want := range []struct {
		key string
		min int
		m   map[string]int
	}{
		{"query valid", 200, results}, {"query invalid", 80, results}, {"ledger valid", 30, results}, {"ledger invalid", 3, results},
		{"seed-example", 4, flags}, {"near-liquidation", 40, flags}, {"tier-boundary", 40, flags},
		{"edge", 40, flags}, {"overflow", 5, flags}, {"corrupted", 40, flags}, {"raw-json", 15, flags},
		{"liquidation", 10, flags}, {"insurance", 3, flags}, {"adl", 3, flags}, {"funding", 5, flags}, {"rejected", 10, flags},
	} {
		if want.m[want.key] < want.min {
			t.Errorf("%d tests are %s, want at least %d", want.m[want.key], want.key, want.min)
		}
	}
}

// TestCheckBuiltins: the model and the reference pass every vector, none
// skipped.
func TestCheckBuiltins(t *testing.T) {
	set := loaded(t)
	for _, tc := range []struct {
		name string
		r    Runner
	}{{"model", Model()}, {"reference", Reference()}} {
		t.Run(tc.name, func(t *testing.T) {
			res := Check(set, tc.r)
			if res.Failed > 0 || res.Skipped > 0 || res.Passed != set.Manifest.NumberOfTests {
				t.Errorf("%d passed, %d failed, %d skipped of %d", res.Passed, res.Failed, res.Skipped, set.Manifest.NumberOfTests)
				for _, f := range res.Files {
					for _, fl := range f.Failures {
						t.Logf("%s tcId %d: %s", f.Path, fl.TcID, strings.Join(fl.Diffs, "; "))
					}
				}
			}
		})
	}
}

// TestCheckCatchesMutants: broken engines (the mutation catalogue's query
// and ledger mutants, every one) fail vectors. The boundary mutants of issue
// 16 are caught by ledger/LED/boundaries.json.
func TestCheckCatchesMutants(t *testing.T) {
	set := loaded(t)
	for _, m := range append(mutation.Query(), mutation.Ledger()...) {
		t.Run(string(m), func(t *testing.T) {
			r := Reference()
			if mutation.IsLedger(m) {
				r.Ledger = LedgerFunc(func(st *spec.State) (GoLedger, error) { return mutation.NewLedger(st, m) })
			} else {
				r.Engine = EngineFunc(func(s *spec.Scenario) (*spec.Report, error) { return mutation.Evaluate(s, m) })
			}
			res := Check(set, r)
			if res.Failed == 0 {
				t.Errorf("no vector catches %s", m)
			}
		})
	}
}

// TestCheckCaught: the mutants that vectors must catch do fail, with a
// diff that names the differing field.
func TestCheckCaught(t *testing.T) {
	set := loaded(t)
	for _, tc := range []struct {
		m    mutation.Mutation
		diff string
	}{
		{mutation.MMRoundDown, "maintenanceMargin"},
		{mutation.LPTowardMark, "liquidationPrice"},
		{mutation.BandIgnored, "mark"},
		{mutation.FundingSign, "events["},
	} {
		t.Run(string(tc.m), func(t *testing.T) {
			r := Reference()
			if mutation.IsLedger(tc.m) {
				r.Ledger = LedgerFunc(func(st *spec.State) (GoLedger, error) { return mutation.NewLedger(st, tc.m) })
			} else {
				r.Engine = EngineFunc(func(s *spec.Scenario) (*spec.Report, error) { return mutation.Evaluate(s, tc.m) })
			}
			res := Check(set, r)
			if res.Failed == 0 {
				t.Fatalf("%s passes every vector", tc.m)
			}
			found := false
			for _, f := range res.Files {
				for _, fl := range f.Failures {
					found = found || strings.Contains(strings.Join(fl.Diffs, "\n"), tc.diff)
				}
			}
			if !found {
				t.Errorf("no failure mentions %q", tc.diff)
			}
		})
	}
}

// TestCheckSkips: a runner without capabilities skips, never passes, what
// it does not support; an engine answering not-supported is skipped too.
func TestCheckSkips(t *testing.T) {
	set := loaded(t)
	r := Reference()
	r.Capabilities, r.Ledger = nil, nil
	res := Check(set, r)
	if res.Failed != 0 || res.Skipped == 0 || res.Passed+res.Skipped != res.Tests {
		t.Fatalf("%d passed, %d failed, %d skipped of %d", res.Passed, res.Failed, res.Skipped, res.Tests)
	}
	for _, f := range res.Files {
		if strings.HasPrefix(f.Path, "ledger/") && f.Passed != 0 {
			t.Errorf("%s: %d ledger tests passed without a ledger", f.Path, f.Passed)
		}
	}
	if len(res.SkipReasons()) == 0 {
		t.Error("no skip reasons")
	}
	r = Reference()
	r.Engine = refusing{}
	r.Ledger = LedgerFunc(func(*spec.State) (GoLedger, error) { return nil, ErrNotSupported })
	res = Check(set, r)
	if res.Passed != 0 || res.Failed != 0 || res.Skipped != res.Tests {
		t.Fatalf("not-supported engine: %d passed, %d failed, %d skipped of %d", res.Passed, res.Failed, res.Skipped, res.Tests)
	}
}

// TestNoTolerance: a report one unit off fails.
func TestNoTolerance(t *testing.T) {
	set := loaded(t)
	r := Reference()
	r.Engine = EngineFunc(func(s *spec.Scenario) (*spec.Report, error) {
		rep, err := reference.Evaluate(s)
		if err == nil && len(rep.Positions) > 0 {
			rep.Positions[0].Notional = rep.Positions[0].Notional.Add(d("0.00000001"))
		}
		return rep, err
	})
	if res := Check(set, r); res.Failed == 0 {
		t.Fatal("a notional one unit off passes")
	}
}

func TestPathShape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"markets.BTCUSDT.tiers[2].maxLeverage", "markets.<name>.tiers[i].maxLeverage"},
		{"prices.ZZZ", "prices.<name>"},
		{"account.positions[10].size", "account.positions[i].size"},
		{"positions[0].notional", "positions[i].notional"},
		{"$", "$"},
	} {
		if got := pathShape(tc.in); got != tc.want {
			t.Errorf("pathShape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSortRules(t *testing.T) {
	got := sortRules([]string{"LIQ-10", "LIQ-2", "BKR-1", "LIQ-2", "ACC-1"})
	want := []string{"ACC-1", "BKR-1", "LIQ-2", "LIQ-10"}
	if !slices.Equal(got, want) {
		t.Errorf("sortRules = %v, want %v", got, want)
	}
}

// refusing is an engine that supports nothing.
type refusing struct{}

func (refusing) Evaluate(*spec.Scenario) (*spec.Report, error) { return nil, ErrNotSupported }
func (refusing) EvaluateText([]byte) (*spec.Report, error)     { return nil, ErrNotSupported }
