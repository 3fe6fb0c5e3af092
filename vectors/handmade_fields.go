package vectors

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// This file holds the hand-made cases of SPEC EVAL-5 (a scenario's fields,
// the required ones absent or null, a state's account in a scenario: A-2 of
// the Python engine), of EVAL-4's errors of the JSON text and of
// EVAL-6 (the accounts of the states run writes, evaluated). Each error
// case carries the path and rule written by hand from SPEC's text;
// queryBuilder.add panics if the reference gives another, so no expected
// error here is the reference's own output taken on trust.

// edit is the base scenario's text with old replaced (once) by repl.
func edit(base, old, repl string) []byte {
	if !strings.Contains(base, old) {
		panic("vectors: " + old + " is not in the base scenario") // a bug in this file
	}
	return []byte(strings.Replace(base, old, repl, 1))
}

// fieldCases are EVAL-5's required fields, each absent and null in the
// base scenario's text (its first market BTCUSDT, that market's first tier,
// the first position), and EVAL-5's state fields in a scenario.
func fieldCases() []qcase {
	base := string(mustJSON(baseScenario()))
	const (
		bm = "markets.BTCUSDT"
		bt = "markets.BTCUSDT.tiers[0]"
		bp = "account.positions[0]"
	)
	var out []qcase
	req := func(field, member, path string) {
		name, _, _ := strings.Cut(member, ":")
		out = append(out,
			qcase{raw: edit(base, member+",", ""), comment: "required " + field + " absent (EVAL-5): EVAL-4 at " + path,
				flags: []string{"hand-made", "raw-json", "required-field"}, rules: []string{"EVAL-5"}, wantPath: path, wantRule: "EVAL-4"},
			qcase{raw: edit(base, member+",", name+":null,"), comment: "required " + field + " null (NUM-5: null is absent; EVAL-5): EVAL-4 at " + path,
				flags: []string{"hand-made", "raw-json", "required-field"}, rules: []string{"EVAL-5", "NUM-5"}, wantPath: path, wantRule: "EVAL-4"})
	}
	req("walletBalance", `"walletBalance":"10000"`, "account.walletBalance")
	req("tickSize", `"tickSize":"0.1"`, bm+".tickSize")
	req("lotSize", `"lotSize":"0.001"`, bm+".lotSize")
	req("minNotional", `"minNotional":"0"`, bt+".minNotional")
	req("maxNotional", `"maxNotional":"50000"`, bt+".maxNotional")
	req("maintenanceMarginRate", `"maintenanceMarginRate":"0.004"`, bt+".maintenanceMarginRate")
	req("maxLeverage", `"maxLeverage":"125"`, bt+".maxLeverage")
	req("market", `"market":"BTCUSDT"`, bp+".market")
	req("side", `"side":"long"`, bp+".side")
	req("size", `"size":"0.5"`, bp+".size")
	req("entryPrice (no entryValue)", `"entryPrice":"59000"`, bp+".entryPrice")
	req("marginMode", `"marginMode":"cross"`, bp+".marginMode")
	acct := strings.Index(base, `,"account":`)
	out = append(out,
		qcase{raw: []byte(base[:acct] + "}"), comment: "required account absent (EVAL-5): EVAL-4 at account",
			flags: []string{"hand-made", "raw-json", "required-field"}, rules: []string{"EVAL-5"}, wantPath: "account", wantRule: "EVAL-4"},
		qcase{raw: []byte(base[:acct] + `,"account":null}`), comment: "required account null (EVAL-5): EVAL-4 at account",
			flags: []string{"hand-made", "raw-json", "required-field"}, rules: []string{"EVAL-5", "NUM-5"}, wantPath: "account", wantRule: "EVAL-4"},
		qcase{raw: edit(base, `"side":"long","size":"0.5","entryPrice":"59000","entryValue":null,"marginMode":"cross"`, `"side":"long"`),
			comment: "three required fields absent: the first in EVAL-5's order (size, then entryPrice, then marginMode) is reported",
			flags:   []string{"hand-made", "raw-json", "required-field"}, rules: []string{"EVAL-5"}, wantPath: bp + ".size", wantRule: "EVAL-4"},
		qcase{raw: edit(base, `"entryPrice":"59000","entryValue":null,"marginMode":"cross"`, `"entryValue":null`),
			comment: "entryPrice and marginMode absent: entryPrice is reported first (EVAL-5's order)",
			flags:   []string{"hand-made", "raw-json", "required-field"}, rules: []string{"EVAL-5"}, wantPath: bp + ".entryPrice", wantRule: "EVAL-4"},
		qcase{raw: edit(string(edit(base, `"walletBalance":"10000",`, `"walletBalance":null,`)), `"size":"0.5"`, `"size":"x"`),
			comment: "inside an object, its own errors come before its missing required fields (EVAL-4's order): the bad size, not the null wallet",
			flags:   []string{"hand-made", "raw-json", "required-field"}, rules: []string{"EVAL-5"}, wantPath: bp + ".size", wantRule: "EVAL-4"},
	)
	// EVAL-5: a state's fields in a scenario.
	const pos0 = `"entryPrice":"59000","entryValue":null`
	state := func(comment, old, repl, path, rule string) {
		out = append(out, qcase{raw: edit(base, old, repl), comment: comment, flags: []string{"hand-made", "raw-json", "state-fields"},
			rules: []string{"EVAL-5"}, wantPath: path, wantRule: rule, wantValid: rule == ""})
	}
	state("entryValue without entryPrice (EVAL-5, POS-2): Q*EP = 29500, the report is the base scenario's", pos0, `"entryValue":"29500"`, "", "")
	state("entryValue with entryPrice null (NUM-5: absent)", pos0, `"entryPrice":null,"entryValue":"29500"`, "", "")
	state("entryValue and entryPrice both given and consistent (POS-2: 0.5 * 59000 = 29500)", pos0, `"entryPrice":"59000","entryValue":"29500"`, "", "")
	state("entryValue not equal to size * entryPrice (POS-2: 0.5 * 59000 = 29500, not 29500.00000001)", pos0, `"entryPrice":"59000","entryValue":"29500.00000001"`, bp+".entryValue", "POS-2")
	state("entryValue 0 without entryPrice (POS-2: entryValue > 0)", pos0, `"entryValue":"0"`, bp+".entryValue", "POS-2")
	state("entryValue with a digit beyond 1e-8 (NUM-1 before POS-2)", pos0, `"entryValue":"29500.000000001"`, bp+".entryValue", "NUM-1")
	state("account.settings is accepted and ignored in a scenario (EVAL-5): a leverage off the grid, an unknown mode and a market that does not exist change nothing",
		`"account":{`, `"account":{"settings":{"BTCUSDT":{"leverage":"20","marginMode":"cross"},"SOLUSDT":{"leverage":"0.000000001","marginMode":"portfolio"},"ETHUSDT":{"leverage":null}},`, "", "")
	state("account.settings with a bad decimal (EVAL-4: settings are decoded)", `"account":{`, `"account":{"settings":{"BTCUSDT":{"leverage":"20x"}},`, "account.settings.BTCUSDT.leverage", "EVAL-4")
	state("account.settings with an unknown field (EVAL-4)", `"account":{`, `"account":{"settings":{"BTCUSDT":{"isolatedMargin":"1"}},`, "account.settings.BTCUSDT.isolatedMargin", "EVAL-4")
	state("account.settings with a mode that is not a string (EVAL-4)", `"account":{`, `"account":{"settings":{"BTCUSDT":{"marginMode":1}},`, "account.settings.BTCUSDT.marginMode", "EVAL-4")
	return out
}

// textCases are EVAL-4's errors of the JSON text that perpcheck/1 can carry
// (a request line must be valid JSON in UTF-8, PROTOCOL.md PR-1): unpaired
// surrogate escapes, at $ before any other error.
func textCases() []qcase {
	base := string(mustJSON(baseScenario()))
	text := func(comment string, raw []byte, path string) qcase {
		return qcase{raw: raw, comment: comment, flags: []string{"hand-made", "raw-json"}, rules: []string{"EVAL-4"}, wantPath: path, wantRule: "EVAL-4"}
	}
	return []qcase{
		text(`an unpaired surrogate escape in a string value: an error of the JSON text, at $ (EVAL-4)`, edit(base, `"side":"long"`, `"side":"\udc00"`), "$"),
		text(`an unpaired high surrogate at the end of a string (EVAL-4, $)`, edit(base, `"side":"long"`, `"side":"long\ud800"`), "$"),
		text(`an unpaired surrogate escape in an object key: $, not an unknown field (EVAL-4)`, edit(base, `"account":{`, `"account":{"\ud800":1,`), "$"),
		text(`an unpaired surrogate after a duplicate key and an unknown field: the text error comes first (EVAL-4's order)`,
			edit(base, `"account":{"walletBalance":"10000",`, `"account":{"walletBalance":"10000","walletBalance":"1","nickname":"\udfff",`), "$"),
		text(`a surrogate pair is one character: an unknown field named U+1F600, quoted in the path (EVAL-3)`, edit(base, `"account":{`, `"account":{"\ud83d\ude00":1,`), `account."`+"\U0001F600"+`"`),
	}
}

// stateAccountCases are EVAL-6's: each trader account of the final state
// that run writes for every run of examples/runs, evaluated as its own
// scenario (markets and prices of the state, the account as run wrote it:
// entryValue beside entryPrice, settings).
func stateAccountCases(examples string) ([]qcase, error) {
	names, err := filepath.Glob(filepath.Join(examples, "runs", "*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []qcase
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var r spec.Run
		if err := strictjson.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		res, err := venue.Resolve(&spec.Scenario{Markets: r.Markets})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r.Markets = res.Markets
		l, err := reference.NewLedger(&r.State)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, ev := range r.Events {
			_, _ = l.Apply(ev) // a rejected event changes nothing (LED-7)
		}
		st := l.State()
		// The text run writes, read back as perpcheck eval reads it.
		var written spec.State
		if err := strictjson.Unmarshal(mustJSON(st), &written); err != nil {
			return nil, fmt.Errorf("%s: the final state does not read back: %w", name, err)
		}
		for _, id := range slices.Sorted(mapsKeys(written.Accounts)) {
			s := &spec.Scenario{Markets: written.Markets, Prices: written.Prices, Account: written.Accounts[id]}
			out = append(out, qcase{s: s, comment: fmt.Sprintf("examples/runs/%s: account %s of the final state, evaluated (EVAL-6)", filepath.Base(name), id),
				flags: []string{"state-account"}, rules: []string{"EVAL-6"}})
		}
	}
	return out, nil
}
