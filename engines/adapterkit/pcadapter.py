"""perpcheck/1 plumbing shared by the third-party engine adapters in engines/<name>/.

A third-party engine (freqtrade, jesse, ...) computes a few of SPEC's report fields (typically the
liquidation price) and none of SPEC's input validation. An adapter therefore works in three steps:

1. The scenario is decoded and validated by engines/python/perpcheck_engine.py (SPEC.md's query
   layer written from the text). A scenario SPEC rejects is answered with that error (code 1001);
   adapters do not declare `error-paths`, so the harness only checks that both reject.
2. That module's report is the *frame*: every field the third-party engine does not compute comes
   from it, so those fields agree with SPEC by construction and say nothing about the engine. Each
   adapter's README lists which fields are the engine's (the rest are frame).
3. The adapter's `overlay(scenario, report)` maps the scenario to the engine's own inputs, calls
   the engine's real functions, and overwrites the fields the engine computes. A scenario outside
   the engine's model raises `NotSupported` (code 10: the case is reported not run, never passed).

Floats: an engine that returns a binary float is read as the decimal string Python prints for it
(`repr`, the shortest string that reads back as the same float: what a user of the engine sees),
exactly, and the adapter applies the SPEC rounding operator of the field
(NUM-4: `up`/`down` on 1e-8, `tickUp`/`tickDown` on the tick). No tolerance anywhere: a float that
lands on the wrong side of a grid point is reported as it is, and the suite judges it.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from decimal import Decimal
from fractions import Fraction

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, "..", "python"))

import perpcheck_engine as pe  # noqa: E402

CODE_NOT_SUPPORTED = 10
CODE_MALFORMED = 12
CODE_RULE = 1001
CODE_CRASH = 2000

U = Fraction(1, 10**8)
MAX = pe.MAX
NotSupported = pe.NotSupported


# Report fields (SPEC RPT-1) an adapter can declare in init's `outputs` (PROTOCOL PR-5: a field declared
# false is not produced by the engine). Names are the fields' JSON names; positions' and pools'
# maintenanceMargin / initialMargin share a name (no adapter computes one but not the other).
REPORT_FIELDS = ["notional", "unrealizedPnl", "leverage", "initialMargin", "maintenanceMargin", "tier",
                 "liquidationPrice", "liquidationPriceExact", "liquidationPriceReason", "bankruptcyPrice",
                 "bankruptcyPriceReason", "isolatedMargin", "maxRemovableMargin", "equity", "available",
                 "marginRatio", "liquidatable"]


def outputs(computed):
    """init's `outputs`: true for the fields the engine computes, false for every other report field
    (the SPEC frame's) and for the ledger's effects and states (no adapter has a ledger). A price's
    null reason is the engine's when the price is (liq_fields and the adapters set both or neither).
    The harness runs only the properties whose outputs (properties/needs.go) are all declared true."""
    unknown = set(computed) - set(REPORT_FIELDS)
    if unknown:
        raise ValueError(f"unknown report fields {sorted(unknown)}")
    computed = set(computed)
    if "liquidationPrice" in computed:
        computed.add("liquidationPriceReason")
    if "bankruptcyPrice" in computed:
        computed.add("bankruptcyPriceReason")
    return {"effects": False, "states": False, **{f: f in computed for f in REPORT_FIELDS}}


# Positions whose fields the engine computed ("engine") or that kept the SPEC frame because they are
# outside the engine's model ("frame"); written to $PCADAPTER_STATS (appended, one line per process)
# when the process ends, so engines/matrix.sh can say how much of a PASS is the engine's.
COUNTS = {"engine": 0, "frame": 0}


def count(kind, n=1):
    COUNTS[kind] += n


def log(name, *a):
    print(f"{name}:", *a, file=sys.stderr, flush=True)


def exact(x) -> Fraction:
    """The exact value of a Decimal, int, float (its binary value) or decimal string."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            raise ValueError(f"engine returned {x!r}")
        return Fraction(Decimal(repr(x)))  # the decimal string Python prints (shortest round trip)
    if isinstance(x, str):
        return Fraction(Decimal(x))
    if isinstance(x, tuple):  # perpcheck_engine's (text, Decimal)
        return Fraction(x[1])
    return Fraction(x)


def dec(x) -> Decimal:
    """A perpcheck_engine decoded decimal (text, Decimal) or plain value as Decimal."""
    if isinstance(x, tuple):
        return x[1]
    return Decimal(x)


def up(x): return pe.up(exact(x))
def down(x): return pe.down(exact(x))
def tick_up(x, k): return pe.tick_up(exact(x), exact(k))
def tick_down(x, k): return pe.tick_down(exact(x), exact(k))
def fmt(x): return pe.fmt(exact(x))


def liq_fields(side: str, root, tick) -> dict:
    """SPEC LIQ-5..7's three report fields from an engine's root (None: the engine has none)."""
    if root is None:
        return None
    r = exact(root)
    if side == "long":
        ex, tk = up(r), tick_up(r, tick)
        if ex <= 0:
            return {"liquidationPrice": None, "liquidationPriceExact": None,
                    "liquidationPriceReason": "never-liquidatable"}
    else:
        ex, tk = down(r), tick_down(r, tick)
        if tk <= 0:
            return {"liquidationPrice": None, "liquidationPriceExact": None,
                    "liquidationPriceReason": "always-liquidatable"}
    if tk > MAX or ex > MAX:
        return {"liquidationPrice": None, "liquidationPriceExact": None, "liquidationPriceReason": "out-of-range"}
    return {"liquidationPrice": fmt(tk), "liquidationPriceExact": fmt(ex)}


def set_liq(rep: dict, fields: dict):
    """Overwrite a position report's liquidation fields, keeping RPT-1's field order."""
    rep.pop("liquidationPriceReason", None)
    out = {}
    for k, v in rep.items():
        if k == "liquidationPrice":
            out["liquidationPrice"] = fields["liquidationPrice"]
            out["liquidationPriceExact"] = fields["liquidationPriceExact"]
            if fields.get("liquidationPriceReason"):
                out["liquidationPriceReason"] = fields["liquidationPriceReason"]
        elif k != "liquidationPriceExact":
            out[k] = v
    rep.clear()
    rep.update(out)


class Adapter:
    """One engine's perpcheck/1 server. overlay(scenario, report) edits report in place."""

    def __init__(self, name, version, capabilities, overlay, variants=None, grid=None, outputs=None):
        self.name, self.version = name, version
        self.capabilities, self.overlay = capabilities, overlay
        self.variants, self.grid = variants or {}, grid
        self.outputs = outputs or {"effects": False}

    def evaluate(self, raw):
        if raw is None:
            raise pe.SpecError("scenario", "EVAL-4", "missing scenario")
        report = pe.evaluate(raw)  # SPEC validation and the frame (step 1, 2)
        sc = pe.parse_scenario(raw)
        self.overlay(sc, report)  # the engine's own numbers (step 3)
        return report

    def eval_one(self, raw):
        try:
            return "report", self.evaluate(raw)
        except pe.SpecError as e:
            return "error", {"code": CODE_RULE, "path": e.path, "rule": e.rule, "text": e.msg}
        except pe.NotSupported as e:
            return "error", {"code": CODE_NOT_SUPPORTED, "text": str(e)}
        except Exception as e:  # an engine exception: fails the case (PR-8), never "not run"
            log(self.name, "evaluate crashed:", traceback.format_exc())
            return "error", {"code": CODE_CRASH, "text": f"{self.name} raised {type(e).__name__}: {e}"}

    def handle(self, line):
        try:
            raw = pe.parse_raw(line)
        except pe.SpecError as e:
            return {"in_reply_to": 0, "type": "error", "code": CODE_MALFORMED, "text": e.msg}
        if not isinstance(raw, pe.JObj):
            return {"in_reply_to": 0, "type": "error", "code": CODE_MALFORMED, "text": "not an object"}
        get = {}
        for k, v in raw.pairs:
            get[k] = v
        rid = get.get("id")
        rid = int(rid.text) if isinstance(rid, pe.JNum) else 0
        rtype = get.get("type")
        if rtype == "init":
            if get.get("protocol") != "perpcheck/1":
                return {"in_reply_to": rid, "type": "error", "code": CODE_NOT_SUPPORTED, "text": "perpcheck/1 only"}
            r = {"in_reply_to": rid, "type": "init_ok", "engine": self.name, "version": self.version,
                 "capabilities": self.capabilities, "variants": self.variants, "outputs": self.outputs}
            if self.grid:
                r["grid"] = self.grid
            return r
        if rtype == "evaluate":
            kind, body = self.eval_one(get.get("scenario"))
            if kind == "report":
                return {"in_reply_to": rid, "type": "evaluate_ok", "report": body}
            return {"in_reply_to": rid, "type": "error", **body}
        if rtype == "evaluate_batch":
            scs = get.get("scenarios")
            if not isinstance(scs, list):
                return {"in_reply_to": rid, "type": "error", "code": CODE_MALFORMED, "text": "scenarios"}
            res = []
            for s in scs:
                kind, body = self.eval_one(s)
                res.append({"report": body} if kind == "report" else {"error": body})
            return {"in_reply_to": rid, "type": "evaluate_batch_ok", "results": res}
        return {"in_reply_to": rid, "type": "error", "code": CODE_NOT_SUPPORTED,
                "text": f"{rtype}: not implemented by the {self.name} adapter (no ledger)"}

    def serve(self):
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                resp = self.handle(line)
            except Exception as e:
                log(self.name, "request crashed:", traceback.format_exc())
                resp = {"in_reply_to": 0, "type": "error", "code": CODE_CRASH, "text": str(e)}
            sys.stdout.write(json.dumps(resp, separators=(",", ":")) + "\n")
            sys.stdout.flush()
            self.write_stats()
        return 0

    def write_stats(self):
        """Rewrites this process's line of $PCADAPTER_STATS (a file per process id under that
        directory), so a process the harness kills still leaves its counts."""
        d = os.environ.get("PCADAPTER_STATS")
        if d:
            with open(os.path.join(d, f"{os.getpid()}.stats"), "w") as f:
                f.write(f"{COUNTS['engine']} {COUNTS['frame']}\n")
