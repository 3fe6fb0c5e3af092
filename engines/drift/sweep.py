#!/usr/bin/env python3
"""Random scenarios inside Drift's model (one flat MMR on 1e-4, marks and entry values on 1e-6, cross,
wallet >= 0), each evaluated by SPEC (engines/python, the frame) and by driftpy through adapter.py's
overlay; prints every field where driftpy differs from SPEC, exactly (no tolerance).

    engines/drift/.venv/bin/python engines/drift/sweep.py [N] [SEED]

Until perpcheck's generators honour init's grid (PROTOCOL PR-5), `perpcheck verify` draws 1e-8
marks that are outside Drift's model, so the adapter keeps the SPEC frame there; this sweep is what
exercises driftpy's numbers. The same seed gives the same output.
"""
import copy
import json
import random
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import adapter  # noqa: E402
import pcadapter as pk  # noqa: E402

FIELDS_POS = ["notional", "unrealizedPnl", "maintenanceMargin", "liquidationPrice"]
FIELDS_POOL = ["equity", "maintenanceMargin", "liquidatable"]


def scenario(r):
    names = ["AAA", "BBB"][: r.choice([1, 1, 2])]
    markets, prices, positions = {}, {}, []
    for n in names:
        mmr = r.choice([1, 5, 25, 50, 100, 250, 333]) / 10**4
        tick = r.choice(["0.01", "0.001", "0.0001", "1", "0.5"])
        markets[n] = {"tickSize": tick, "lotSize": "0.00000001",
                      "tiers": [{"minNotional": "0", "maxNotional": "10000000000", "maintenanceMarginRate": f"{mmr:.4f}",
                                 "maxLeverage": "20", "maintenanceAmount": "0"}]}
        mark = r.randint(1, 10**8) / 10**r.choice([0, 2, 4, 6])
        prices[n] = {"mark": f"{mark:.6f}"}
        q_units = r.randint(1, 10**6)
        q = f"{q_units / 10**r.choice([0, 3, 6]):.6f}"
        ep = f"{mark * r.uniform(0.5, 1.5):.6f}" if r.random() < 0.8 else f"{mark:.6f}"
        while pk.exact(q) * pk.exact(ep) * 10**6 != int(pk.exact(q) * pk.exact(ep) * 10**6):
            ep = f"{float(ep):.2f}" if pk.exact(ep) >= 1 else "1"
            q = f"{float(q):.3f}"
            if pk.exact(q) == 0:
                q = "1"
        if pk.exact(ep) == 0:
            ep = "1"
        positions.append({"market": n, "side": r.choice(["long", "short"]), "size": q, "entryPrice": ep,
                          "marginMode": "cross", "leverage": "10"})
    W = f"{r.randint(0, 10**7) / 10**r.choice([0, 2, 6]):.6f}"
    return {"markets": markets, "prices": prices, "account": {"walletBalance": W, "positions": positions}}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    r = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    diffs = {}
    ran = 0
    for i in range(n):
        raw = json.dumps(scenario(r))
        try:
            frame = pk.pe.evaluate(pk.pe.parse_raw(raw))
        except pk.pe.SpecError:
            continue
        rep = copy.deepcopy(frame)
        adapter.overlay(pk.pe.parse_scenario(pk.pe.parse_raw(raw)), rep)
        ran += 1
        for k, (a, b) in enumerate(zip(frame["positions"], rep["positions"])):
            for f in FIELDS_POS:
                if a.get(f) != b.get(f):
                    diffs.setdefault(f"positions.{f}", []).append((raw, a.get(f), b.get(f), a.get("liquidationPriceReason"), b.get("liquidationPriceReason")))
        for a, b in zip(frame["pools"], rep["pools"]):
            for f in FIELDS_POOL:
                if a.get(f) != b.get(f):
                    diffs.setdefault(f"pools.{f}", []).append((raw, a.get(f), b.get(f)))
    print(f"driftpy sweep: {ran} scenarios in Drift's model (of {n} drawn)")
    for f in sorted(diffs):
        kinds = {}
        for d in diffs[f]:
            kinds.setdefault(kind(f, d), []).append(d)
        for k in sorted(kinds):
            d = kinds[k][0]
            print(f"{f}: {k}: {len(kinds[k])}; first: SPEC {d[1]} driftpy {d[2]} in {d[0]}")
    if not diffs:
        print("no field differs")


def kind(field, d):
    """Which difference: driftpy's value is SPEC's value floored / ceiled on Drift's 1e-6 grid
    (exact membership, not a tolerance), the oracle price for an account already liquidatable, or other."""
    spec, drift = d[1], d[2]
    if spec is None or drift is None or isinstance(spec, bool):
        return "other"
    a, b = pk.exact(spec), pk.exact(drift)
    if field == "positions.liquidationPrice":
        sc = json.loads(d[0])
        if any(b == pk.exact(v["mark"]) for v in sc["prices"].values()):
            return "the mark (driftpy's answer once free collateral is 0)"
        return "other"
    u = pk.Fraction(1, 10**6)
    fl = (a // u) * u
    if b == fl:
        return "SPEC's value floored on 1e-6"
    if b == fl + u:
        return "SPEC's value ceiled on 1e-6"
    return "other"


if __name__ == "__main__":
    main()
