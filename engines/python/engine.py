#!/usr/bin/env python3
"""perpcheck/1 engine server (PROTOCOL.md) around perpcheck_engine (SPEC.md's query layer).

Reads one JSON request per line on stdin, writes one JSON response per line on stdout (PR-1, PR-2),
logs only to stderr. Run: python3 engines/python/engine.py
Set PERPCHECK_PY_MUTANT=mm-round-down (or pass --mutant mm-round-down) for the deliberately broken
variant (maintenance margins rounded down instead of up).
"""

from __future__ import annotations

import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import perpcheck_engine as pe  # noqa: E402

ENGINE = "perpcheck-python"
VERSION = "0.1.0"
CAPABILITIES = ["isolated", "entry-basis", "computed-mark", "error-paths", "explicit-imr"]
# SPEC VAR-2 / PROTOCOL PR-5: the query variants it implements, per rule, default first. The
# ledger-only choices (LQ-4, TRD-4, ADL-2, FND-1, LED-9) are not named: there is no ledger.
VARIANTS = {
    "POOL-5": ["strict", "at-equality"],
    "TIER-7": ["lower-inclusive", "upper-inclusive"],
    "TIER-8": ["progressive", "flat"],
    "TIER-3": ["given", "half-initial"],
    "QTY-5": ["none", "taker"],
}
LEDGER_TYPES = ("ledger_open", "apply", "state", "ledger_close")

CODE_NOT_SUPPORTED = 10
CODE_MALFORMED = 12
CODE_RULE = 1001
CODE_CRASH = 2000  # PR-8: an internal failure answers a code from 2000 up, so it fails the case, never "not run"


def log(*a):
    print("perpcheck-python:", *a, file=sys.stderr, flush=True)


def _get(obj, key):
    """Last value of key in a raw JObj (request-level duplicates are not the scenario's business)."""
    val = None
    for k, v in obj.pairs:
        if k == key:
            val = v
    return val


def _plain(v):
    """Raw tree -> plain JSON value (for request-level fields such as id)."""
    if isinstance(v, pe.JObj):
        return {k: _plain(x) for k, x in v.pairs}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, pe.JNum):
        t = v.text
        try:
            return int(t)
        except ValueError:
            return t
    return v


def error_body(exc):
    if isinstance(exc, pe.SpecError):
        return {"code": CODE_RULE, "path": exc.path, "rule": exc.rule, "text": exc.msg}
    if isinstance(exc, pe.NotSupported):
        return {"code": CODE_NOT_SUPPORTED, "text": str(exc)}
    return {"code": CODE_CRASH, "text": f"internal error: {type(exc).__name__}: {exc}"}


def eval_one(raw_scenario):
    """('report', dict) or ('error', body)."""
    try:
        if raw_scenario is None:
            raise pe.SpecError("scenario", "EVAL-4", "missing scenario")
        return "report", pe.evaluate(raw_scenario)
    except (pe.SpecError, pe.NotSupported) as e:
        return "error", error_body(e)
    except Exception as e:  # a bug: log it, answer with a code that fails the case
        log("evaluate crashed:", traceback.format_exc())
        return "error", error_body(e)


def handle(line: str):
    """Answer one request line; returns the response dict."""
    try:
        raw = pe.parse_raw(line, surrogates=False)  # the scenario's own (EVAL-4 at $) are parse_scenario's
    except pe.SpecError as e:
        return {"in_reply_to": 0, "type": "error", "code": CODE_MALFORMED, "text": f"unreadable request: {e.msg}"}
    if not isinstance(raw, pe.JObj):
        return {"in_reply_to": 0, "type": "error", "code": CODE_MALFORMED, "text": "a request is a JSON object"}
    rid = _plain(_get(raw, "id"))
    rtype = _get(raw, "type")
    if not isinstance(rid, int) or isinstance(rid, bool):
        return {"in_reply_to": 0, "type": "error", "code": CODE_MALFORMED, "text": "request without an integer id"}

    def err(code, text, **kw):
        r = {"in_reply_to": rid, "type": "error", "code": code}
        r.update(kw)
        r["text"] = text
        return r

    if rtype == "init":
        proto = _get(raw, "protocol")
        if proto != "perpcheck/1":
            return err(CODE_NOT_SUPPORTED, f"this engine speaks perpcheck/1, not {proto!r}")
        return {"in_reply_to": rid, "type": "init_ok", "engine": ENGINE, "version": VERSION,
                "capabilities": CAPABILITIES, "variants": VARIANTS,
                "outputs": {"liquidationPrice": True, "bankruptcyPrice": True, "effects": False}}
    if rtype == "evaluate":
        kind, body = eval_one(_get(raw, "scenario"))
        if kind == "report":
            return {"in_reply_to": rid, "type": "evaluate_ok", "report": body}
        r = {"in_reply_to": rid, "type": "error"}
        r.update(body)
        return r
    if rtype == "evaluate_batch":
        scs = _get(raw, "scenarios")
        if not isinstance(scs, list):
            return err(CODE_MALFORMED, "evaluate_batch needs a scenarios array")
        results = []
        for s in scs:
            kind, body = eval_one(s)
            results.append({"report": body} if kind == "report" else {"error": body})
        return {"in_reply_to": rid, "type": "evaluate_batch_ok", "results": results}
    if rtype in LEDGER_TYPES:
        return err(CODE_NOT_SUPPORTED, f"{rtype}: the ledger (SPEC LED..ADL) is not implemented by {ENGINE}")
    return err(CODE_NOT_SUPPORTED, f"unknown request type {rtype!r}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) >= 2 and argv[0] == "--mutant":
        os.environ["PERPCHECK_PY_MUTANT"] = argv[1]
    if pe.mutant():
        log(f"running the deliberately broken variant {pe.mutant()!r}")
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            resp = handle(line)
        except Exception as e:  # never die on one request
            log("request crashed:", traceback.format_exc())
            resp = {"in_reply_to": 0, "type": "error", "code": CODE_CRASH, "text": str(e)}
        out.write(json.dumps(resp, separators=(",", ":")) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
