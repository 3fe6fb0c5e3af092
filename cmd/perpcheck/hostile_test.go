package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileMarket is a valid market for the hostile-input cases.
const hostileMarket = `{"tickSize":"0.1","lotSize":"0.001","tiers":[{"minNotional":"0","maxNotional":"1000000","maintenanceMarginRate":"0.01","maxLeverage":"50"}]}`

// hostileScenario builds a scenario with one position whose fields are
// given as raw JSON members (position is the inside of its object).
func hostileScenario(position string) string {
	return `{"markets":{"BTC":` + hostileMarket + `},"prices":{"BTC":{"mark":"100"}},` +
		`"account":{"walletBalance":"1000","positions":[{` + position + `}]}}`
}

// maxErrLine bounds every error line of the CLI: a path of a few quoted and
// cut names plus a message repeating at most a few quoted and cut strings.
const maxErrLine = 600

// TestHostileInput keeps every case of issue 15 section 3 from coming back:
// each input gives exit status 2 with one error line that names the path and
// the rule, is at most maxErrLine bytes and carries no control character.
func TestHostileInput(t *testing.T) {
	huge := strings.Repeat("x", 5<<20)
	pos := `"market":"BTC","side":"long","size":"1","entryPrice":"100","marginMode":"cross"`
	tests := []struct {
		name, in, want string // want: a substring of the error line
	}{
		// Required fields (SPEC EVAL-5): absent and null are one fault.
		{"empty scenario", `{}`, "account: EVAL-4: required field is absent or null"},
		{"missing walletBalance", `{"account":{}}`, "account.walletBalance: EVAL-4: required"},
		{"null walletBalance", `{"account":{"walletBalance":null}}`, "account.walletBalance: EVAL-4: required"},
		{"missing tier rate", `{"markets":{"BTC":{"tickSize":"1","lotSize":"1","tiers":[{"minNotional":"0","maxNotional":"10","maxLeverage":"5"}]}},"account":{"walletBalance":"1"}}`,
			"markets.BTC.tiers[0].maintenanceMarginRate: EVAL-4: required"},
		{"missing tickSize", `{"markets":{"BTC":{"lotSize":"1","tiers":[]}},"account":{"walletBalance":"1"}}`, "markets.BTC.tickSize: EVAL-4: required"},
		{"missing lotSize", `{"markets":{"BTC":{"tickSize":"1","tiers":[]}},"account":{"walletBalance":"1"}}`, "markets.BTC.lotSize: EVAL-4: required"},
		{"missing size", hostileScenario(`"market":"BTC","side":"long","entryPrice":"100","marginMode":"cross"`), "account.positions[0].size: EVAL-4: required"},
		{"missing side", hostileScenario(`"market":"BTC","size":"1","entryPrice":"100","marginMode":"cross"`), "account.positions[0].side: EVAL-4: required"},
		{"null market", hostileScenario(`"market":null,"side":"long","size":"1","entryPrice":"100","marginMode":"cross"`), "account.positions[0].market: EVAL-4: required"},
		{"missing marginMode", hostileScenario(`"market":"BTC","side":"long","size":"1","entryPrice":"100"`), "account.positions[0].marginMode: EVAL-4: required"},
		{"missing entryPrice and entryValue", hostileScenario(`"market":"BTC","side":"long","size":"1","marginMode":"cross"`), "account.positions[0].entryPrice: EVAL-4: required"},
		{"absent tiers are the empty table", `{"markets":{"BTC":{"tickSize":"1","lotSize":"1"}},"account":{"walletBalance":"1"}}`, "markets.BTC.tiers: TIER-1"},
		// Bounded, quoted echo.
		{"huge side", hostileScenario(strings.Replace(pos, `"side":"long"`, `"side":"`+huge+`"`, 1)), `account.positions[0].side: POS-2: side must be "long" or "short", got "xxxx`},
		{"huge market", hostileScenario(strings.Replace(pos, `"market":"BTC"`, `"market":"`+huge+`"`, 1)), "account.positions[0].market: POS-1"},
		{"huge marginMode", hostileScenario(strings.Replace(pos, `"marginMode":"cross"`, `"marginMode":"`+huge+`"`, 1)), "account.positions[0].marginMode: POS-3"},
		{"huge mmBasis", `{"markets":{"BTC":{"tickSize":"1","lotSize":"1","mmBasis":"` + huge + `"}},"account":{"walletBalance":"1"}}`, "markets.BTC.mmBasis: MKT-3"},
		{"huge profile", `{"markets":{"BTC":{"profile":"` + huge + `","symbol":"BTCUSDT"}},"account":{"walletBalance":"1"}}`, "markets.BTC.profile: PROF-1"},
		{"huge symbol", `{"markets":{"BTC":{"profile":"binance","symbol":"` + huge + `"}},"account":{"walletBalance":"1"}}`, "markets.BTC.symbol: PROF-1"},
		{"huge unknown key", `{"account":{"walletBalance":"1","` + huge + `":1}}`, `account."xxxx`},
		{"huge market name", `{"markets":{"` + huge + `":{"tickSize":"0","lotSize":"1"}},"account":{"walletBalance":"1"}}`, `markets."xxxx`},
		{"huge number", `{"account":{"walletBalance":"1","positions":[{"market":"BTC","side":"long","size":1` + strings.Repeat("1", 1<<20) + `.5,"entryPrice":"1","marginMode":"cross"}]}}`, "account.positions[0].market: POS-1"},
		{"huge bad decimal", `{"account":{"walletBalance":"1` + huge + `"}}`, "account.walletBalance: EVAL-4: not a decimal"},
		{"control characters in a key", "{\"account\":{\"walletBalance\":\"1\",\"\\u001b[2J\\r\":1}}", `account."\x1b[2J\r": EVAL-4: unknown field`},
		{"dot in a market name", `{"markets":{"A.b":{"tickSize":"0","lotSize":"1"}},"account":{"walletBalance":"1"}}`, `markets."A.b".tickSize: MKT-1`},
		{"brackets in a market name", `{"markets":{"A[0]":{"tickSize":"1","lotSize":"1","tiers":[]}},"account":{"walletBalance":"1"}}`, `markets."A[0]".tiers: TIER-1`},
		// BOM and invalid UTF-8 (SPEC EVAL-4: errors of the JSON text are at $).
		{"byte-order mark", "\xef\xbb\xbf{}", "$: EVAL-4: the document starts with a UTF-8 byte-order mark"},
		{"invalid UTF-8 in a key", "{\"account\":{\"walletBalance\":\"1\",\"a\xffb\":1}}", "$: EVAL-4: invalid UTF-8 at byte offset 34"},
		{"invalid UTF-8 in a value", hostileScenario(strings.Replace(pos, `"side":"long"`, "\"side\":\"lo\xc0ng\"", 1)), "$: EVAL-4: invalid UTF-8 at byte offset"},
		{"unpaired surrogate", hostileScenario(strings.Replace(pos, `"side":"long"`, `"side":"\udc00"`, 1)), "$: EVAL-4: an unpaired UTF-16 surrogate"},
		// Decimals: one rule for one fault, whatever the digits (NUM-5).
		{"61 digits out of range", `{"account":{"walletBalance":"1` + strings.Repeat("0", 60) + `"}}`, "account.walletBalance: NUM-2"},
		{"1e400 out of range", `{"account":{"walletBalance":"1e400"}}`, "account.walletBalance: NUM-2"},
		{"70 digits off the grid", `{"account":{"walletBalance":"0.` + strings.Repeat("1", 70) + `"}}`, "account.walletBalance: NUM-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run([]string{"eval", "-"}, strings.NewReader(tc.in), &out, &errb)
			line := errb.String()
			if code != 2 || out.Len() != 0 {
				t.Fatalf("exit %d, stdout %d bytes, stderr %.300q; want exit 2 and no output", code, out.Len(), line)
			}
			if len(line) > maxErrLine || strings.Count(line, "\n") != 1 {
				t.Fatalf("error is %d bytes on %d lines, want one line of at most %d: %.300q", len(line), strings.Count(line, "\n"), maxErrLine, line)
			}
			for _, r := range strings.TrimSuffix(line, "\n") {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("error carries control character %q: %q", r, line)
				}
			}
			if !strings.Contains(line, tc.want) {
				t.Fatalf("error %q does not contain %q", line, tc.want)
			}
		})
	}
}

// TestHostileAccepted: inputs that are valid however odd they look.
func TestHostileAccepted(t *testing.T) {
	for name, in := range map[string]string{
		"long literal of a valid value": `{"account":{"walletBalance":"1000.` + strings.Repeat("0", 60) + `"}}`,
		"null optional fields":          `{"markets":null,"prices":null,"account":{"walletBalance":"1","positions":null,"settings":null}}`,
		"entryValue instead of entryPrice": `{"markets":{"BTC":` + hostileMarket + `},"prices":{"BTC":{"mark":"100"}},` +
			`"account":{"walletBalance":"1000","positions":[{"market":"BTC","side":"long","size":"1","entryValue":"100","marginMode":"cross"}]}}`,
		"escaped non-ASCII": `{"account":{"walletBalance":"1","positions":[]},"markets":{"\u00e9\ud83d\ude00":` + hostileMarket + `}}`,
	} {
		var out, errb bytes.Buffer
		if code := run([]string{"eval", "-"}, strings.NewReader(in), &out, &errb); code != 0 {
			t.Errorf("%s: exit %d: %s", name, code, errb.String())
		}
	}
}

// TestHostileFlags: the CLI's flags reject nonsense with exit 2 and answer
// -h with exit 0.
func TestHostileFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in stdout+stderr
	}{
		{[]string{"verify", "-checks", "0"}, 2, "-checks must be at least 1"},
		{[]string{"verify", "-checks", "-5"}, 2, "-checks must be at least 1"},
		{[]string{"verify", "-ledger-checks", "0"}, 2, "-ledger-checks must be at least 1"},
		{[]string{"verify", "-mutant-checks", "-1"}, 2, "-mutant-checks must be at least 1"},
		{[]string{"verify", "-run", "^NO-SUCH-PROPERTY$"}, 2, "matches no property"},
		{[]string{"verify", "-h"}, 0, "-mutant-checks"},
		{[]string{"eval", "-h"}, 0, "usage: perpcheck eval FILE"},
		{[]string{"eval", "-x"}, 2, "usage: perpcheck eval FILE"},
		{[]string{"run", "-h"}, 0, "-compact"},
		{[]string{"help"}, 0, "perpcheck verify -h"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(tc.args, strings.NewReader(""), &out, &errb)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
			t.Errorf("%v: exit %d, output %.400q; want exit %d and %q", tc.args, code, out.String()+errb.String(), tc.code, tc.want)
		}
	}
}

// TestRunStateDashAndEval: "run -state -" writes only the final state to
// stdout, and eval accepts every state run writes, a negative insurance
// fund included (LED-1, EVAL-6).
func TestRunStateDashAndEval(t *testing.T) {
	var state, errb bytes.Buffer
	if code := run([]string{"run", "-state", "-", "../../examples/runs/open-5-fund-negative.json"}, nil, &state, &errb); code != 0 {
		t.Fatalf("run exit %d: %s", code, errb.String())
	}
	if _, err := os.Stat("-"); err == nil {
		t.Fatal(`run -state - wrote a file named "-"`)
	}
	var st struct {
		InsuranceFund struct {
			WalletBalance string `json:"walletBalance"`
		} `json:"insuranceFund"`
	}
	if err := json.Unmarshal(state.Bytes(), &st); err != nil || !strings.HasPrefix(st.InsuranceFund.WalletBalance, "-") {
		t.Fatalf("stdout is not the final state with a negative fund (%v): %.300s", err, state.String())
	}
	var out bytes.Buffer
	errb.Reset()
	if code := run([]string{"eval", "-"}, bytes.NewReader(state.Bytes()), &out, &errb); code != 0 {
		t.Fatalf("eval of run's state: exit %d: %s", code, errb.String())
	}
}

// TestRunStreamsCompact: -compact output is one line of valid JSON with
// the same effects as the indented output, and the output size is bounded
// by the effects (no indentation growth).
func TestRunStreamsCompact(t *testing.T) {
	file := "../../examples/runs/seed-example-a.json"
	var ind, cmp, errb bytes.Buffer
	if code := run([]string{"run", file}, nil, &ind, &errb); code != 0 {
		t.Fatalf("run: %d %s", code, errb.String())
	}
	if code := run([]string{"run", "-compact", file}, nil, &cmp, &errb); code != 0 {
		t.Fatalf("run -compact: %d %s", code, errb.String())
	}
	if strings.Count(cmp.String(), "\n") != 1 || cmp.Len() >= ind.Len() {
		t.Fatalf("compact output: %d lines, %d bytes (indented %d)", strings.Count(cmp.String(), "\n"), cmp.Len(), ind.Len())
	}
	var a, b any
	if err := json.Unmarshal(ind.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(cmp.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("compact and indented outputs differ")
	}
	// An empty run still writes a well-formed document.
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, []byte(`{"events":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var e bytes.Buffer
	if code := run([]string{"run", empty}, nil, &e, &errb); code != 0 || json.Unmarshal(e.Bytes(), &a) != nil {
		t.Fatalf("empty run: exit %d, %q", code, e.String())
	}
}
