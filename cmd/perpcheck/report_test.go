package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/spec"
	"github.com/shopspring/decimal"
)

// failingRun runs verify -out against mutant:lp-toward-mark, which rounds
// liquidation prices toward the mark (SPEC LIQ-6 says away from it), on
// three LIQ properties: two catch it, LIQ-8/cross-leverage does not look at
// liquidation prices and passes. It returns the directory, the result and
// verify's stdout.
func failingRun(t *testing.T) (string, *verifyReport, string) {
	t.Helper()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"verify", "-impl", "mutant:lp-toward-mark", "-run", "^LIQ-(6/tick|2/trigger|8/cross)", "-checks", "30",
		"-seed", "7", "-mutants=false", "-q", "-out", dir}, nil, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	return dir, readReport(t, filepath.Join(dir, "result.json")), out.String()
}

var (
	reTableRow = regexp.MustCompile(`(?m)^(\S+/\S+)\s+.*\s(PASS|FAIL|SKIP)$`)
	reTotals   = regexp.MustCompile(`properties: (\d+) passed, (\d+) failed, (\d+) not run`)
	reLiqLine  = regexp.MustCompile(`<line class="liq (liq-\w+)" data-price="([0-9.]+)"`)
)

// The JSON is what the run did: the rows and totals verify printed are the
// properties and the summary of result.json, each failure carries its
// input and both engines' numbers, and the two liquidation prices are one
// tick apart in the direction the mutant rounds (a long's down, a short's
// up, where SPEC LIQ-6 rounds a long's up and a short's down).
func TestVerifyOutResultJSON(t *testing.T) {
	_, r, out := failingRun(t)
	rows := reTableRow.FindAllStringSubmatch(out, -1)
	if len(rows) != len(r.Properties) || len(rows) != 3 {
		t.Fatalf("table has %d rows, result.json %d properties, want 3\n%s", len(rows), len(r.Properties), out)
	}
	counts := map[string]int{}
	for i, row := range rows {
		if r.Properties[i].ID != row[1] || r.Properties[i].Status != row[2] {
			t.Errorf("row %d: table %s %s, result.json %s %s", i, row[1], row[2], r.Properties[i].ID, r.Properties[i].Status)
		}
		counts[row[2]]++
	}
	tot := reTotals.FindStringSubmatch(out)
	if tot == nil {
		t.Fatalf("no totals line:\n%s", out)
	}
	for i, want := range []int{r.Summary.Passed, r.Summary.Failed, r.Summary.Skipped} {
		if n, _ := strconv.Atoi(tot[i+1]); n != want {
			t.Errorf("totals line %q, result.json summary %+v", tot[0], r.Summary)
		}
	}
	if r.Summary.Failed != counts["FAIL"] || r.Summary.Passed != counts["PASS"] || r.Summary.Failed != 2 {
		t.Errorf("summary %+v, table counts %v; want 2 failed", r.Summary, counts)
	}
	if r.Engine == nil || r.Engine.Name != "mutant:lp-toward-mark" || len(r.Engine.Capabilities) == 0 {
		t.Errorf("engine = %+v", r.Engine)
	}
	for _, p := range r.Properties {
		if p.Status != "FAIL" {
			if p.Failure != nil {
				t.Errorf("%s: %s with a failure", p.ID, p.Status)
			}
			continue
		}
		if p.Failure == nil || len(p.Failure.Counterexamples) == 0 {
			t.Fatalf("%s: FAIL without a counterexample", p.ID)
		}
		c := p.Failure.Counterexamples[0]
		s, err := decodeScenario(c.Input)
		if err != nil {
			t.Fatalf("%s: input is not a scenario: %v", p.ID, err)
		}
		n := c.Numbers
		if n == nil || n.Liquidation == nil || n.Oracle != "reference" {
			t.Fatalf("%s: numbers = %+v", p.ID, n)
		}
		l := n.Liquidation
		o, err1 := decimal.NewFromString(l.Oracle)
		e, err2 := decimal.NewFromString(l.Engine)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: liquidation prices %q, %q", p.ID, l.Oracle, l.Engine)
		}
		// The mutant rounds a long's liquidation price down and a short's up
		// (internal/mutation LPTowardMark; SPEC LIQ-6 says tickUp for a long,
		// tickDown for a short), so the engine's is the oracle's one tick
		// lower for a long and one tick higher for a short, wherever the mark
		// is (a liquidatable position's price may sit at the mark).
		tick := s.Markets[l.Market].TickSize
		want := o.Sub(tick)
		if s.Account.Positions[l.Position].Side == spec.Short {
			want = o.Add(tick)
		}
		if !e.Equal(want) {
			t.Errorf("%s: liquidation prices reference %s, engine %s, tick %s, side %s: want the engine's one tick beyond the reference's on the side the mutant rounds to", p.ID, o, e, tick, s.Account.Positions[l.Position].Side)
		}
		found := false
		for _, d := range n.Diffs {
			found = found || d.Path == "positions["+strconv.Itoa(l.Position)+"].liquidationPrice" && d.Oracle == l.Oracle && d.Engine == l.Engine
		}
		if !found {
			t.Errorf("%s: diffs %+v lack the liquidation price", p.ID, n.Diffs)
		}
	}
}

// The HTML page shows every property of the result in its SPEC area, the
// failure count of the JSON, and for each failed counterexample an <svg>
// with both liquidation prices marked at the prices of result.json; a
// result rendered later by "perpcheck report" is the same page.
func TestVerifyOutHTML(t *testing.T) {
	dir, r, _ := failingRun(t)
	data, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, p := range r.Properties {
		if !strings.Contains(page, `<tr class="prop" data-id="`+p.ID+`" data-status="`+p.Status+`">`) {
			t.Errorf("page lacks the row of %s (%s)", p.ID, p.Status)
		}
	}
	for _, p := range r.Properties {
		if p.Status == "FAIL" && (!strings.Contains(page, `href="#fail-`+sanitize(p.ID)+`"`) || !strings.Contains(page, `id="fail-`+sanitize(p.ID)+`"`)) {
			t.Errorf("no link from the row of %s to its failure", p.ID)
		}
	}
	if got := strings.Count(page, `<tr class="prop"`); got != len(r.Properties) {
		t.Errorf("%d property rows, want %d", got, len(r.Properties))
	}
	if !strings.Contains(page, `<h3 id="area-LIQ">LIQ: 1 passed, 2 failed, 0 not run</h3>`) {
		t.Error("page lacks the LIQ area heading with its counts")
	}
	if want := `<strong id="failed-count">` + strconv.Itoa(r.Summary.Failed) + `</strong>`; !strings.Contains(page, want) {
		t.Errorf("page lacks %s", want)
	}
	svgs := strings.Split(page, "<svg")[1:]
	var liqs []verifyLiquidation
	for _, p := range r.Properties {
		if p.Failure != nil {
			for _, c := range p.Failure.Counterexamples {
				liqs = append(liqs, *c.Numbers.Liquidation)
			}
		}
	}
	if strings.Count(page, `data-plot="wide"`) != len(liqs) || len(liqs) == 0 {
		t.Fatalf("%d wide plots for %d counterexamples", strings.Count(page, `data-plot="wide"`), len(liqs))
	}
	ce := -1
	for _, svg := range svgs {
		svg = svg[:strings.Index(svg, "</svg>")]
		if strings.Contains(svg, `data-plot="wide"`) {
			ce++
		}
		got := map[string]string{}
		for _, m := range reLiqLine.FindAllStringSubmatch(svg, -1) {
			got[m[1]] = m[2]
		}
		if len(got) != 2 || got["liq-oracle"] != liqs[ce].Oracle || got["liq-engine"] != liqs[ce].Engine {
			t.Errorf("plot of counterexample %d marks %v, want reference %s and engine %s", ce, got, liqs[ce].Oracle, liqs[ce].Engine)
		}
		if strings.Count(svg, "<polyline") != 2 {
			t.Errorf("plot of counterexample %d has not two curves", ce)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("page contains %q (it must open from disk, without scripts)", bad)
		}
	}

	out := t.TempDir()
	var o, e bytes.Buffer
	if code := run([]string{"report", "-html", filepath.Join(dir, "result.json"), "-out", out}, nil, &o, &e); code != 0 {
		t.Fatalf("report: exit %d: %s", code, e.String())
	}
	again, _ := os.ReadFile(filepath.Join(out, "index.html"))
	if !bytes.Equal(again, data) {
		t.Error("perpcheck report renders result.json differently from verify -out")
	}
}

// The curve the plot draws is the pool's equity and maintenance margin by
// the model. Golden values by hand: a cross long of 1 at 1000 with a
// wallet of 100 and a flat 1% maintenance rate (no maintenance amount) has
// equity 100 + (m - 1000) and maintenance margin 0.01 * m at mark m; at
// m = 900/0.99 = 909.0909... they meet (the liquidation price).
func TestPoolCurve(t *testing.T) {
	s, err := decodeScenario([]byte(`{
  "markets": {"BTC": {"tickSize": "0.01", "lotSize": "0.001", "tiers": [
    {"minNotional": "0", "maxNotional": "1000000", "maintenanceMarginRate": "0.01", "maxLeverage": "50"}]}},
  "prices": {"BTC": {"mark": "1000"}},
  "account": {"walletBalance": "100", "positions": [
    {"market": "BTC", "side": "long", "size": "1", "entryPrice": "1000", "marginMode": "cross"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	d := decimal.RequireFromString
	marks := []decimal.Decimal{d("850"), d("909.09"), d("909.1"), d("1000"), d("1200.5"), d("0")}
	got := poolCurve(s, 0, marks)
	want := []curvePoint{
		{d("850"), d("-50"), d("8.5")},
		{d("909.09"), d("9.09"), d("9.0909")},
		{d("909.1"), d("9.1"), d("9.091")},
		{d("1000"), d("100"), d("10")},
		{d("1200.5"), d("300.5"), d("12.005")},
		// mark 0 is not a mark (MARK-1): left out.
	}
	if len(got) != len(want) {
		t.Fatalf("got %d points, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].Mark.Equal(want[i].Mark) || !got[i].Equity.Equal(want[i].Equity) || !got[i].MM.Equal(want[i].MM) {
			t.Errorf("mark %s: equity %s, mm %s; want %s, %s", want[i].Mark, got[i].Equity, got[i].MM, want[i].Equity, want[i].MM)
		}
	}
	if s.Prices["BTC"].Mark.Decimal.String() != "1000" {
		t.Error("poolCurve modified its scenario")
	}
	// The plot spans the mark and both liquidation prices; the page marks
	// both (a hand-made liquidation: 909.1 is the tick above the root).
	p, note := plotFor(json.RawMessage(`{
  "markets": {"BTC": {"tickSize": "0.01", "lotSize": "0.001", "tiers": [
    {"minNotional": "0", "maxNotional": "1000000", "maintenanceMarginRate": "0.01", "maxLeverage": "50"}]}},
  "prices": {"BTC": {"mark": "1000"}},
  "account": {"walletBalance": "100", "positions": [
    {"market": "BTC", "side": "long", "size": "1", "entryPrice": "1000", "marginMode": "cross"}]}}`),
		&verifyLiquidation{Position: 0, Market: "BTC", Oracle: "909.1", Engine: "909.09"}, "reference")
	if len(p) != 2 {
		t.Fatalf("%d plots, want the wide one and the zoom (%s)", len(p), note)
	}
	for i, want := range []string{
		"wide: mark=1000 liq liq-oracle=909.1 liq liq-engine=909.09",
		// ten ticks either side of the liquidation prices: the mark is out
		"zoom: liq liq-oracle=909.1 liq liq-engine=909.09",
	} {
		got := p[i].Kind + ":"
		for _, m := range p[i].Marks {
			got += " " + m.Class + "=" + m.Price
		}
		if got != want {
			t.Errorf("plot %d marks %q, want %q", i, got, want)
		}
		if n := len(strings.Fields(p[i].Equity)); n != plotPoints {
			t.Errorf("plot %d: equity curve has %d points, want %d", i, n, plotPoints)
		}
	}
}

// Counterexamples and engine answers are untrusted: the page escapes them
// and bounds what it echoes.
func TestReportEscapesAndBounds(t *testing.T) {
	huge := `{"account": {"walletBalance": "` + strings.Repeat("9", 1<<20) + `"}}`
	r := &verifyReport{Format: verifyFormat, Impl: "<b>evil</b>", Shard: "1/1", Properties: []verifyProperty{{
		ID: "LIQ-6/<script>x</script>", Rules: []string{"LIQ-6"}, Status: "FAIL",
		Failure: &verifyFailure{Message: "<img src=x onerror=alert(1)>" + strings.Repeat("m", 1<<20), Seed: 1,
			Counterexamples: []verifyCounterexample{{Label: "<i>gen</i>", Replay: "perpcheck eval FILE", Input: json.RawMessage(huge),
				Transcript: []string{strings.Repeat("<t>", 1<<16)},
				Numbers: &verifyNumbers{Oracle: "reference", EngineError: "</pre><script>alert(2)</script>",
					Diffs: []verifyDiff{{Path: "positions[0].x", Oracle: "1", Engine: "<u>2</u>"}}}}}}}}}
	r.summarize()
	var buf bytes.Buffer
	if err := renderHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"<script", "<img", "<b>evil", "<i>gen", "<u>2", "<t>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}
	if buf.Len() > 200<<10 {
		t.Errorf("page is %d bytes for a 3 MB result: echoes are not bounded", buf.Len())
	}
	if !strings.Contains(page, `<strong id="failed-count">1</strong>`) {
		t.Error("page lacks the failure count")
	}
}

// perpcheck report: usage errors and files that are not a verify result
// exit 2.
func TestReportUsage(t *testing.T) {
	dir := t.TempDir()
	notResult := filepath.Join(dir, "x.json")
	os.WriteFile(notResult, []byte(`{"format": "something/1"}`), 0o644)
	garbage := filepath.Join(dir, "g.json")
	os.WriteFile(garbage, []byte(`{`), 0o644)
	for _, args := range [][]string{
		{"report"}, {"report", "-html", notResult}, {"report", "-out", dir},
		{"report", "-html", notResult, "-out", dir}, {"report", "-html", garbage, "-out", dir},
		{"report", "-html", filepath.Join(dir, "missing.json"), "-out", dir}, {"report", "-html", notResult, "-out", dir, "extra"},
	} {
		var o, e bytes.Buffer
		if code := run(args, nil, &o, &e); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err == nil {
		t.Error("a failed report wrote index.html")
	}
}

// Through the protocol: the Python engine with its mm-round-down mutant.
// result.json names the engine as its init_ok does, carries the failure's
// transcript, and the ledger property it cannot run is NOT RUN with the
// reason, in the JSON and on the page.
func TestVerifyOutEngine(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	python := "python3 " + filepath.Join("..", "..", "engines", "python", "engine.py")
	t.Setenv("PERPCHECK_PY_MUTANT", "mm-round-down")
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"verify", "-engine", python, "-checks", "200", "-ledger-checks", "2", "-seed", "2", "-q",
		"-run", "^(NUM-4/pool-rounding|LED-6/differential-ledger)$", "-out", dir}, nil, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	r := readReport(t, filepath.Join(dir, "result.json"))
	src, _ := os.ReadFile(filepath.Join("..", "..", "engines", "python", "engine.py"))
	name := regexp.MustCompile(`(?m)^ENGINE = "([^"]+)"`).FindSubmatch(src)
	if r.Engine == nil || name == nil || r.Engine.Name != string(name[1]) || r.Engine.Version == "" || len(r.Engine.Command) != 2 {
		t.Errorf("engine = %+v, want the name engine.py declares (%s)", r.Engine, name)
	}
	if r.Summary.Failed != 1 || r.Summary.Skipped != 1 {
		t.Fatalf("summary %+v, want 1 failed, 1 not run", r.Summary)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	for _, p := range r.Properties {
		switch p.Status {
		case "SKIP":
			if p.SkipReason == "" || !strings.Contains(string(page), p.SkipReason) {
				t.Errorf("%s: skip reason %q not on the page", p.ID, p.SkipReason)
			}
		case "FAIL":
			c := p.Failure.Counterexamples[0]
			if len(c.Transcript) < 2 || !strings.Contains(c.Transcript[0], `"init"`) {
				t.Errorf("%s: transcript %q", p.ID, c.Transcript)
			}
			if c.Numbers == nil || !containsDiff(c.Numbers.Diffs, "maintenanceMargin") {
				t.Errorf("%s: numbers %+v lack the maintenance margin", p.ID, c.Numbers)
			}
		}
	}
	if !strings.Contains(string(page), "NOT RUN") || !strings.Contains(string(page), "perpcheck/1 transcript") {
		t.Error("page lacks NOT RUN or the transcript")
	}
}

// A ledger counterexample carries both ledgers' numbers: with
// mutant:funding-sign (funding paid the wrong way, SPEC FND-2) the funding
// transfers run the other way (the engine's "from" is the reference's "to")
// and every wallet the funding moved ends as far above its starting
// balance in one ledger as below it in the other.
func TestVerifyOutLedger(t *testing.T) {
	// Seed 7: the checks below expect a counterexample that shrank to funding
	// alone (reversed transfers, wallets symmetric about the start). Since the
	// portfolio-margin ledger markets (issue 14) joined the generated states,
	// seeds 1-6 shrink to runs where the wrong funding sign also liquidates a
	// pool in the engine, whose extra effects break that symmetry.
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"verify", "-impl", "mutant:funding-sign", "-ledger-checks", "100", "-seed", "7", "-mutants=false", "-q",
		"-run", "^LED-4/stateful", "-out", dir}, nil, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	r := readReport(t, filepath.Join(dir, "result.json"))
	c := r.Properties[0].Failure.Counterexamples[0]
	var in spec.Run
	if err := json.Unmarshal(c.Input, &in); err != nil {
		t.Fatalf("input is not a run file: %v", err)
	}
	if c.Numbers == nil || c.Numbers.Liquidation != nil {
		t.Fatalf("numbers = %+v", c.Numbers)
	}
	byPath := map[string]verifyDiff{}
	for _, d := range c.Numbers.Diffs {
		byPath[d.Path] = d
	}
	swapped, wallets := 0, 0
	for path, d := range byPath {
		if from, ok := strings.CutSuffix(path, ".from"); ok && strings.Contains(path, ".effects[") {
			if to := byPath[from+".to"]; d.Engine != to.Oracle || d.Oracle != to.Engine {
				t.Errorf("%s: %+v and %+v are not a transfer the other way", from, d, to)
			}
			swapped++
		}
		if name, ok := strings.CutPrefix(path, "state.accounts."); ok {
			name, ok = strings.CutSuffix(name, ".walletBalance")
			if !ok {
				continue
			}
			start := in.Accounts[name].WalletBalance
			o, e := decimal.RequireFromString(d.Oracle), decimal.RequireFromString(d.Engine)
			if !o.Add(e).Equal(start.Add(start)) {
				t.Errorf("%s: reference %s, engine %s, not symmetric about the starting %s", name, o, e, start)
			}
			wallets++
		}
	}
	if swapped == 0 || wallets == 0 {
		t.Errorf("no reversed funding transfer or wallet difference in %+v", c.Numbers.Diffs)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if !strings.Contains(string(page), "<code>events[") {
		t.Error("the page does not show the differing effects")
	}
}

func containsDiff(ds []verifyDiff, field string) bool {
	for _, d := range ds {
		if strings.HasSuffix(d.Path, "."+field) {
			return true
		}
	}
	return false
}
