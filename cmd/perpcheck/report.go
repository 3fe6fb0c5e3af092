package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/shopspring/decimal"
)

const reportUsage = `usage: perpcheck report -html RESULT.json -out DIR

Renders the JSON result of "perpcheck verify -json FILE" (or -out DIR, its
DIR/result.json) or of "perpcheck verify-merge -json FILE" as an HTML
report, DIR/index.html: the engine and what it declared, the properties
grouped by SPEC area (the rule id prefix) with PASS, FAIL or NOT RUN, cases
and the reason a property did not run, and each failure with its
counterexample: the scenario, the report fields that differ with both
engines' numbers side by side, and a plot (inline SVG) of the position's
pool equity and maintenance margin against the mark price, computed with
the model, with both engines' liquidation prices marked. The page needs no
network and no script: it opens from disk. "perpcheck verify -out DIR"
writes it directly. Exit status 2 on bad usage or a file that is not a
verify result.
`

// Bounds on what the page echoes of a result (counterexamples and engine
// answers are untrusted text).
const (
	maxPageInput      = 32 << 10
	maxPageMessage    = 4000
	maxPageTranscript = 200
	maxPageLine       = 2000
	plotPoints        = 81
)

// cmdReport is "perpcheck report".
func cmdReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, reportUsage); fs.PrintDefaults() }
	in := fs.String("html", "", "the verify result (JSON) to render as HTML")
	out := fs.String("out", "", "the directory to write index.html to")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 || *in == "" || *out == "" {
		fs.Usage()
		return 2
	}
	data, err := readInput(*in, nil)
	if err != nil {
		fmt.Fprintf(stderr, "perpcheck report: %v\n", err)
		return 2
	}
	var r verifyReport
	if err := json.Unmarshal(data, &r); err != nil {
		fmt.Fprintf(stderr, "perpcheck report: %s: %v\n", *in, err)
		return 2
	}
	if r.Format != verifyFormat {
		fmt.Fprintf(stderr, "perpcheck report: %s: format %q, want %q\n", *in, r.Format, verifyFormat)
		return 2
	}
	r.summarize()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "perpcheck report: -out: %v\n", err)
		return 2
	}
	name := filepath.Join(*out, "index.html")
	if err := writeHTML(name, &r); err != nil {
		fmt.Fprintf(stderr, "perpcheck report: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "report: %s (%d passed, %d failed, %d not run)\n", name, r.Summary.Passed, r.Summary.Failed, r.Summary.Skipped)
	return 0
}

// page is what the HTML template renders.
type page struct {
	R        *verifyReport
	Target   string
	Areas    []area
	Failures []failure
}

// area is the properties of one SPEC area (rule id prefix).
type area struct {
	Name                    string
	Passed, Failed, Skipped int
	Rows                    []verifyProperty
}

// failure is one failed property on the page.
type failure struct {
	P         verifyProperty
	Message   string
	Reproduce string
	CEs       []counterexample
}

// counterexample is one counterexample on the page.
type counterexample struct {
	Label, Replay string
	Input         string
	Numbers       *verifyNumbers
	Plots         []*plot
	PlotNote      string
	Transcript    []string
}

// plot is the SVG plot of a pool's equity and maintenance margin against
// a market's mark price, in the SVG's coordinates.
type plot struct {
	W, H                  int
	Left, Right, Top, Bot int
	Market, Pool          string
	Kind                  string // "wide" or "zoom"
	Equity, MM            string // polyline points
	Marks                 []plotMark
	XTicks, YTicks        []plotTick
}

// plotMark is a vertical line at a price (a liquidation price, the mark).
type plotMark struct {
	Class, Label, Price string
	X, LabelY           string
	// Anchor and DX place the label right of the line, or left of it in
	// the plot's right half.
	Anchor, DX string
}

// plotTick is an axis label.
type plotTick struct {
	Pos, Text string
}

// areaOf is the SPEC area of a property id: its rule id's prefix.
func areaOf(id string) string {
	if i := strings.IndexAny(id, "-/"); i > 0 {
		return id[:i]
	}
	return id
}

// newPage arranges r for the template.
func newPage(r *verifyReport) *page {
	p := &page{R: r, Target: "-impl " + r.Impl}
	if r.Engine != nil && len(r.Engine.Command) > 0 || strings.ContainsAny(r.Impl, " /") {
		p.Target = "-engine '" + r.Impl + "'"
	}
	index := map[string]int{}
	for _, vp := range r.Properties {
		name := areaOf(vp.ID)
		k, ok := index[name]
		if !ok {
			k = len(p.Areas)
			index[name] = k
			p.Areas = append(p.Areas, area{Name: name})
		}
		a := &p.Areas[k]
		a.Rows = append(a.Rows, vp)
		switch vp.Status {
		case "PASS":
			a.Passed++
		case "FAIL":
			a.Failed++
		default:
			a.Skipped++
		}
		if vp.Failure == nil {
			continue
		}
		f := failure{P: vp, Message: clip(vp.Failure.Message, maxPageMessage)}
		if vp.Failure.Seed != 0 {
			f.Reproduce = fmt.Sprintf("perpcheck verify %s -run '^%s$' -seed %d -mutants=false", p.Target, regexp.QuoteMeta(vp.ID), vp.Failure.Seed)
		}
		for _, c := range vp.Failure.Counterexamples {
			ce := counterexample{Label: c.Label, Replay: c.Replay, Input: clip(indentJSON(c.Input), maxPageInput), Numbers: c.Numbers}
			for i, l := range c.Transcript {
				if i == maxPageTranscript {
					ce.Transcript = append(ce.Transcript, fmt.Sprintf("... (%d more lines)", len(c.Transcript)-i))
					break
				}
				ce.Transcript = append(ce.Transcript, clip(l, maxPageLine))
			}
			if c.Numbers != nil && c.Numbers.Liquidation != nil {
				ce.Plots, ce.PlotNote = plotFor(c.Input, c.Numbers.Liquidation, c.Numbers.Oracle)
			}
			f.CEs = append(f.CEs, ce)
		}
		p.Failures = append(p.Failures, f)
	}
	return p
}

// indentJSON is raw indented by two spaces at the top level, however it
// was indented inside the result file.
func indentJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}

// plotFor computes the plots of the pool of position liq.Position of the
// scenario input: its equity and maintenance margin by the model at
// plotPoints marks of its market spanning the current mark and both
// liquidation prices, with those marked; and when the two liquidation
// prices are too close to tell apart on that scale, a second plot zoomed to
// ten ticks either side of them. The floats are for drawing only. When
// there is no plot, the note says why.
func plotFor(input json.RawMessage, liq *verifyLiquidation, oracle string) ([]*plot, string) {
	s, err := decodeScenario(input)
	if err != nil {
		return nil, "no plot: the counterexample is not a scenario"
	}
	if liq.Position < 0 || liq.Position >= len(s.Account.Positions) {
		return nil, "no plot: no such position"
	}
	pos := s.Account.Positions[liq.Position]
	base, err := model.Evaluate(s.Clone())
	if err != nil {
		return nil, "no plot: the model rejects the scenario: " + clip(err.Error(), 300)
	}
	mark, ok := base.Prices[pos.Market]
	if !ok {
		return nil, "no plot: no mark for the position's market"
	}
	marks := []plotMark{{Class: "mark", Label: "mark", Price: mark.Mark.String()},
		{Class: "liq liq-oracle", Label: "liquidation price (" + oracle + ")", Price: liq.Oracle},
		{Class: "liq liq-engine", Label: "liquidation price (engine)", Price: liq.Engine}}
	prices := []decimal.Decimal{mark.Mark}
	var liqs []decimal.Decimal
	for _, v := range []string{liq.Oracle, liq.Engine} {
		if d, err := decimal.NewFromString(v); err == nil && d.IsPositive() {
			prices = append(prices, d)
			liqs = append(liqs, d)
		}
	}
	lo, hi := span(prices)
	dist := hi.Sub(lo)
	if dist.IsZero() {
		dist = hi.Div(decimal.NewFromInt(5))
	}
	pad := dist.Mul(decimal.NewFromFloat(0.3))
	lo, hi = decimal.Max(lo.Sub(pad), lo.Div(decimal.NewFromInt(2))), hi.Add(pad)
	wide := drawPlot(s, liq.Position, lo, hi, marks)
	if wide == nil {
		return nil, "no plot: the model evaluates the pool at fewer than two marks"
	}
	wide.Kind = "wide"
	plots := []*plot{wide}
	if len(liqs) == 2 {
		llo, lhi := span(liqs)
		tick := s.Markets[pos.Market].TickSize
		if !tick.IsPositive() {
			tick = decimal.New(1, -8)
		}
		if lhi.Sub(llo).Mul(decimal.NewFromInt(50)).LessThan(hi.Sub(lo)) {
			ten := tick.Mul(decimal.NewFromInt(10))
			if zoom := drawPlot(s, liq.Position, decimal.Max(llo.Sub(ten), llo.Div(decimal.NewFromInt(2))), lhi.Add(ten), marks); zoom != nil {
				zoom.Kind = "zoom"
				plots = append(plots, zoom)
			}
		}
	}
	return plots, ""
}

// span is the least and the greatest of ds (not empty).
func span(ds []decimal.Decimal) (lo, hi decimal.Decimal) {
	lo, hi = ds[0], ds[0]
	for _, d := range ds[1:] {
		lo, hi = decimal.Min(lo, d), decimal.Max(hi, d)
	}
	return lo, hi
}

// drawPlot draws the pool curve of position pos of s for marks in [lo, hi]
// with the vertical lines marks (those in the range; their Price set), or
// returns nil when the model evaluates fewer than two points.
func drawPlot(s *spec.Scenario, pos int, lo, hi decimal.Decimal, marks []plotMark) *plot {
	var grid []decimal.Decimal
	for k := range plotPoints {
		m := lo.Add(hi.Sub(lo).Mul(decimal.NewFromInt(int64(k))).Div(decimal.NewFromInt(plotPoints - 1))).Round(8)
		if len(grid) == 0 || !grid[len(grid)-1].Equal(m) {
			grid = append(grid, m)
		}
	}
	type point struct{ x, eq, mm float64 }
	var pts []point
	for _, c := range poolCurve(s, pos, grid) {
		pts = append(pts, point{c.Mark.InexactFloat64(), c.Equity.InexactFloat64(), c.MM.InexactFloat64()})
	}
	if len(pts) < 2 {
		return nil
	}
	p := s.Account.Positions[pos]
	pl := &plot{W: 760, H: 340, Left: 90, Right: 710, Top: 20, Bot: 290, Market: p.Market, Pool: string(p.MarginMode)}
	if p.MarginMode == spec.Isolated {
		pl.Pool = fmt.Sprintf("isolated (position %d)", pos)
	}
	x0, x1 := lo.InexactFloat64(), hi.InexactFloat64()
	y0, y1 := pts[0].eq, pts[0].eq
	for _, p := range pts {
		y0, y1 = min(y0, p.eq, p.mm), max(y1, p.eq, p.mm)
	}
	if y1 == y0 {
		y0, y1 = y0-1, y1+1
	}
	dy := (y1 - y0) * 0.05
	y0, y1 = y0-dy, y1+dy
	px := func(x float64) float64 { return float64(pl.Left) + (x-x0)/(x1-x0)*float64(pl.Right-pl.Left) }
	py := func(y float64) float64 { return float64(pl.Bot) - (y-y0)/(y1-y0)*float64(pl.Bot-pl.Top) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	var eq, mm []string
	for _, p := range pts {
		eq = append(eq, f(px(p.x))+","+f(py(p.eq)))
		mm = append(mm, f(px(p.x))+","+f(py(p.mm)))
	}
	pl.Equity, pl.MM = strings.Join(eq, " "), strings.Join(mm, " ")
	for k := range 5 {
		x := x0 + (x1-x0)*float64(k)/4
		y := y0 + (y1-y0)*float64(k)/4
		pl.XTicks = append(pl.XTicks, plotTick{f(px(x)), strconv.FormatFloat(x, 'g', 8, 64)})
		pl.YTicks = append(pl.YTicks, plotTick{f(py(y)), strconv.FormatFloat(y, 'g', 6, 64)})
	}
	for row, m := range marks {
		d, err := decimal.NewFromString(m.Price)
		if err != nil || d.LessThan(lo) || d.GreaterThan(hi) {
			continue
		}
		x := px(d.InexactFloat64())
		m.Price, m.X, m.LabelY, m.Anchor, m.DX = d.String(), f(x), strconv.Itoa(pl.Top+12+14*row), "start", "4"
		if x > float64(pl.Left+pl.Right)/2 {
			m.Anchor, m.DX = "end", "-4"
		}
		pl.Marks = append(pl.Marks, m)
	}
	return pl
}

// curvePoint is a pool's equity and maintenance margin at a mark.
type curvePoint struct{ Mark, Equity, MM decimal.Decimal }

// poolCurve evaluates, with the model, the pool of position pos of s (the
// cross pool, or the position's own isolated pool) with the mark of the
// position's market set to each of marks in turn. Marks the model rejects
// (not > 0, off the number grid) are left out.
func poolCurve(s *spec.Scenario, pos int, marks []decimal.Decimal) []curvePoint {
	p := s.Account.Positions[pos]
	var out []curvePoint
	for _, m := range marks {
		s2 := s.Clone()
		pr := s2.Prices[p.Market]
		pr.Mark = decimal.NullDecimal{Decimal: m, Valid: true}
		s2.Prices[p.Market] = pr
		rep, err := model.Evaluate(s2)
		if err != nil {
			continue
		}
		for _, pl := range rep.Pools {
			if p.MarginMode == spec.Isolated && pl.Pool == spec.Isolated && pl.Position == pos ||
				p.MarginMode != spec.Isolated && pl.Pool != spec.Isolated {
				out = append(out, curvePoint{m, pl.Equity, pl.MaintenanceMargin})
				break
			}
		}
	}
	return out
}

// renderHTML writes the page of r to w.
func renderHTML(w io.Writer, r *verifyReport) error {
	return pageTemplate.Execute(w, newPage(r))
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"status": func(s string) string {
		if s == "SKIP" {
			return "NOT RUN"
		}
		return s
	},
	"base":   filepath.Base,
	"anchor": sanitize,
	"join":   strings.Join,
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>perpcheck report: {{.R.Impl}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0; }
table.area { width: 100%; } table.area td:first-child { width: 26%; } table.area td:nth-child(2) { width: 30%; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; }
.PASS { background: #dff3df; } .FAIL { background: #f8d0d0; font-weight: bold; } .SKIP { background: #f0f0f0; color: #666; }
.summary span { display: inline-block; padding: 4px 10px; margin-right: 8px; border-radius: 4px; font-size: 16px; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 8px; max-height: 360px; overflow: auto; white-space: pre-wrap; word-break: break-all; }
.failure { border-left: 4px solid #c33; padding-left: 12px; margin: 16px 0; }
svg.plot { border: 1px solid #ccc; background: #fcfcfc; }
.eq { stroke: #1f5fbf; } .mm { stroke: #e07b00; }
.liq-oracle { stroke: #2a8a2a; } .liq-engine { stroke: #c0182a; } .mark { stroke: #888; }
</style>
</head>
<body>
<h1>perpcheck conformance report</h1>
<table>
<tr><th>engine</th><td>{{with .R.Engine}}{{.Name}} {{.Version}}{{else}}{{.R.Impl}}{{end}}</td></tr>
{{with .R.Engine}}{{if .Command}}<tr><th>command</th><td><code>{{join .Command " "}}</code></td></tr>{{end}}
<tr><th>capabilities</th><td>{{if .Capabilities}}{{join .Capabilities ", "}}{{else}}none{{end}}</td></tr>
<tr><th>variants</th><td>{{range $k, $v := .Variants}}{{$k}}: {{range $i, $n := $v}}{{if $i}}, {{end}}{{$n}}{{end}}; {{else}}SPEC's defaults{{end}}</td></tr>
{{with .Grid}}<tr><th>grid</th><td>size {{.Size}}, price {{.Price}}, quote {{.Quote}}</td></tr>{{end}}
{{if .Outputs}}<tr><th>outputs</th><td>{{range $k, $v := .Outputs}}{{$k}}: {{$v}}; {{end}}</td></tr>{{end}}{{end}}
<tr><th>run</th><td>seed {{.R.Seed}}, {{.R.Checks}} cases per query property, {{.R.LedgerChecks}} runs per ledger property{{if .R.Run}}, -run <code>{{.R.Run}}</code>{{end}}, shard {{.R.Shard}}{{if .R.Merged}} (merged: {{join .R.Merged " "}}){{end}}</td></tr>
</table>
<p class="summary"><span class="PASS">passed <strong id="passed-count">{{.R.Summary.Passed}}</strong></span><span class="FAIL">failed <strong id="failed-count">{{.R.Summary.Failed}}</strong></span><span class="SKIP">not run <strong id="notrun-count">{{.R.Summary.Skipped}}</strong></span></p>

<h2>Properties by SPEC area</h2>
{{range .Areas}}
<h3 id="area-{{.Name}}">{{.Name}}: {{.Passed}} passed, {{.Failed}} failed, {{.Skipped}} not run</h3>
<table class="area">
<tr><th>property</th><th>SPEC rules</th><th>status</th><th>cases</th><th>time (ms)</th><th>note</th></tr>
{{range .Rows}}<tr class="prop" data-id="{{.ID}}" data-status="{{.Status}}"><td>{{if .Failure}}<a href="#fail-{{anchor .ID}}">{{.ID}}</a>{{else}}{{.ID}}{{end}}</td><td>{{join .Rules " "}}</td><td class="{{.Status}}">{{status .Status}}</td><td class="num">{{.Cases}}</td><td class="num">{{.DurationMS}}</td><td>{{.SkipReason}}</td></tr>
{{end}}</table>
{{end}}

{{if .Failures}}<h2>Failures</h2>{{end}}
{{range .Failures}}
<div class="failure" id="fail-{{anchor .P.ID}}">
<h3>FAIL {{.P.ID}} <small>({{join .P.Rules " "}})</small></h3>
<pre>{{.Message}}</pre>
{{if .Reproduce}}<p>reproduce: <code>{{.Reproduce}}</code></p>{{end}}
{{with .P.Failure.Files}}<p>files: {{range .}}<a href="{{base .}}">{{base .}}</a> {{end}}</p>{{end}}
{{range .CEs}}
<h4>counterexample, {{.Label}} <small>(replay: <code>{{.Replay}}</code>)</small></h4>
{{with .Numbers}}
{{if .OracleError}}<p>{{.Oracle}}: error <code>{{.OracleError}}</code></p>{{end}}
{{if .EngineError}}<p>engine: error <code>{{.EngineError}}</code></p>{{end}}
{{if .Diffs}}<table class="diffs"><tr><th>field</th><th>{{.Oracle}}</th><th>engine</th></tr>
{{range .Diffs}}<tr><td><code>{{.Path}}</code></td><td class="num">{{.Oracle}}</td><td class="num">{{.Engine}}</td></tr>
{{end}}</table>{{if .DiffsTruncated}}<p>(more fields differ)</p>{{end}}
{{else}}<p>The engine and the {{.Oracle}} agree on this input: the property fails on a relation between inputs or outputs (see the message).</p>{{end}}
{{end}}
{{range .Plots}}
<svg class="plot" data-plot="{{.Kind}}" xmlns="http://www.w3.org/2000/svg" width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="pool equity and maintenance margin against the mark price of {{.Market}}">
<line x1="{{.Left}}" y1="{{.Bot}}" x2="{{.Right}}" y2="{{.Bot}}" stroke="#444"/>
<line x1="{{.Left}}" y1="{{.Top}}" x2="{{.Left}}" y2="{{.Bot}}" stroke="#444"/>
{{$p := .}}{{range .XTicks}}<text x="{{.Pos}}" y="{{$p.Bot}}" dy="16" font-size="11" text-anchor="middle">{{.Text}}</text>
{{end}}{{range .YTicks}}<text x="{{$p.Left}}" y="{{.Pos}}" dx="-4" font-size="11" text-anchor="end">{{.Text}}</text>
{{end}}<polyline class="eq" fill="none" stroke-width="2" points="{{.Equity}}"/>
<polyline class="mm" fill="none" stroke-width="2" points="{{.MM}}"/>
{{range .Marks}}<line class="{{.Class}}" data-price="{{.Price}}" x1="{{.X}}" y1="{{$p.Top}}" x2="{{.X}}" y2="{{$p.Bot}}" stroke-width="2" stroke-dasharray="6 3"/>
<text x="{{.X}}" y="{{.LabelY}}" dx="{{.DX}}" text-anchor="{{.Anchor}}" font-size="11" class="{{.Class}}" fill="#222">{{.Label}} {{.Price}}</text>
{{end}}<text x="{{.Left}}" y="{{.H}}" dy="-14" font-size="12">{{if eq .Kind "zoom"}}zoomed: {{end}}mark price of {{.Market}}; pool: {{.Pool}}; blue: equity, orange: maintenance margin (the model)</text>
</svg>
{{else}}{{with .PlotNote}}<p>{{.}}</p>{{end}}{{end}}
{{if .Input}}<details open><summary>input</summary><pre>{{.Input}}</pre></details>{{end}}
{{if .Transcript}}<details><summary>perpcheck/1 transcript</summary><pre>{{range .Transcript}}{{.}}
{{end}}</pre></details>{{end}}
{{end}}
</div>
{{end}}

{{if .R.MutantCheck}}<h2>Mutants</h2>
<table><tr><th>mutant</th><th>status</th><th>caught by</th><th>cases</th></tr>
{{range .R.Mutants}}<tr><td>{{.Name}}</td><td>{{.Status}}</td><td>{{join .CaughtBy ", "}}</td><td class="num">{{.Cases}}</td></tr>
{{end}}</table>
<p>mutants killed: {{.R.Summary.Killed}}, survived: {{.R.Summary.Survived}}, not run: {{.R.Summary.MutantsNotRun}}</p>{{end}}
</body>
</html>
`
