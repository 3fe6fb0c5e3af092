"""Tests for the Python perpcheck engine: python3 -m unittest discover engines/python

Every expected value below was computed by hand from SPEC.md's formulas (the working is in the
comments), not copied from the Go oracle's output.
"""

import json
import os
import subprocess
import sys
import unittest
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import perpcheck_engine as pe  # noqa: E402

EXAMPLES = os.path.join(HERE, "..", "..", "examples", "scenarios")

TWO_TIERS = [
    {"minNotional": "0", "maxNotional": "1000", "maintenanceMarginRate": "0.01", "maxLeverage": "50"},
    {"minNotional": "1000", "maxNotional": "100000", "maintenanceMarginRate": "0.02", "maxLeverage": "25"},
]


def market(**kw):
    m = {"tickSize": "0.1", "lotSize": "0.001", "tiers": TWO_TIERS}
    m.update(kw)
    return m


def scenario(positions, wallet="0", markets=None, prices=None):
    return {"markets": markets or {"X": market()}, "prices": prices or {"X": {"mark": "100"}},
            "account": {"walletBalance": wallet, "positions": positions}}


def D(x):
    return None if x is None else Decimal(x)


class Golden(unittest.TestCase):
    def assertDec(self, got, want, msg=None):
        self.assertEqual(D(got), D(want), msg)

    def test_seed_cross_example_a(self):
        with open(os.path.join(EXAMPLES, "seed-cross-example-a.json")) as f:
            rep = pe.evaluate(f.read())
        btc, eth = rep["positions"]
        # BTC long 0.1 @ 30000, mark 31000: N = 3100, U = 0.1 * 1000 = 100, IM = 310, MM = 0.05 * 3100
        self.assertDec(btc["notional"], "3100")
        self.assertDec(btc["unrealizedPnl"], "100")
        self.assertDec(btc["initialMargin"], "310")
        self.assertDec(btc["maintenanceMargin"], "155")
        # ETH short 5 @ 2000, mark 2160: N = 10800, U = -5 * 160 = -800, IM = 1080, MM = 540
        self.assertDec(eth["notional"], "10800")
        self.assertDec(eth["unrealizedPnl"], "-800")
        self.assertDec(eth["maintenanceMargin"], "540")
        # LIQ-4, BTC: K = 1000 + (-800 - 540) = -340; P = (K - Q*EP + 0) / (Q*(0.05 - 1))
        #   = (-340 - 3000) / (-0.095) = 35157.8947368...; up -> 35157.89473685; tickUp(0.1) -> 35157.9
        self.assertDec(btc["liquidationPriceExact"], "35157.89473685")
        self.assertDec(btc["liquidationPrice"], "35157.9")
        # ETH: K = 1000 + (100 - 155) = 945; P = (945 + 10000) / (5 * 1.05) = 2084.7619047...
        self.assertDec(eth["liquidationPriceExact"], "2084.76190476")
        self.assertDec(eth["liquidationPrice"], "2084.76")
        # BKR-1: BTC K0 = 1000 - 800 = 200, 30000 - 200/0.1 = 28000; ETH K0 = 1100, 2000 + 1100/5 = 2220
        self.assertDec(btc["bankruptcyPrice"], "28000")
        self.assertDec(eth["bankruptcyPrice"], "2220")
        pool = rep["pools"][0]
        # E = 1000 + 100 - 800 = 300; IM = 1390; MM = 695; ratio 695/300 = 2.3166... -> up
        self.assertEqual((pool["pool"], pool["position"]), ("cross", -1))
        self.assertDec(pool["equity"], "300")
        self.assertDec(pool["initialMargin"], "1390")
        self.assertDec(pool["maintenanceMargin"], "695")
        self.assertDec(pool["available"], "0")
        self.assertDec(pool["marginRatio"], "2.31666667")
        self.assertTrue(pool["liquidatable"])

    def test_seed_xrp_isolated_entry_basis(self):
        with open(os.path.join(EXAMPLES, "seed-xrp-isolated.json")) as f:
            rep = pe.evaluate(f.read())
        p = rep["positions"][0]
        # long 1000 @ 1.00, mark 0.97, M = 100, entry basis: MM = 0.05 * 1000 = 50 (not 0.05 * 970)
        self.assertDec(p["notional"], "970")
        self.assertDec(p["unrealizedPnl"], "-30")
        self.assertDec(p["initialMargin"], "97")
        self.assertDec(p["maintenanceMargin"], "50")
        # LIQ-4 entry basis: P = EP - (K - MM)/Q = 1 - (100 - 50)/1000 = 0.95; BKR: 1 - 100/1000 = 0.9
        self.assertDec(p["liquidationPrice"], "0.95")
        self.assertDec(p["liquidationPriceExact"], "0.95")
        self.assertDec(p["bankruptcyPrice"], "0.9")
        self.assertDec(p["isolatedMargin"], "100")
        # POOL-6: min(100, 100 - 30 - 97) < 0 -> 0
        self.assertDec(p["maxRemovableMargin"], "0")
        cross, iso = rep["pools"]
        self.assertDec(cross["equity"], "500")
        self.assertDec(cross["marginRatio"], "0")  # MM 0 / E 500
        self.assertFalse(cross["liquidatable"])
        self.assertEqual(iso["position"], 0)
        self.assertDec(iso["equity"], "70")
        self.assertDec(iso["marginRatio"], "0.71428572")  # 50/70 = 0.714285714... up
        self.assertFalse(iso["liquidatable"])

    def test_mark_basis_root_in_second_tier(self):
        # long 20 @ 100, mark 100, wallet 0, cross. cum_2 = 1000 * (0.02 - 0.01) = 10 (TIER-6).
        # N = 2000 -> tier 2, MM = 2000*0.02 - 10 = 30. K = 0.
        # P_1 = (0 - 2000 + 0)/(20*(0.01-1)) = 101.0101..: notional 2020.2 not in [0, 1000): rejected
        # P_2 = (0 - 2000 + 10)/(20*(0.02-1)) = 1990/19.6 = 101.530612244...: notional 2030.6 in tier 2
        rep = pe.evaluate(scenario([{"market": "X", "side": "long", "size": "20", "entryPrice": "100",
                                     "marginMode": "cross"}]))
        p = rep["positions"][0]
        self.assertEqual(p["tier"], 2)
        self.assertDec(p["maintenanceMargin"], "30")
        self.assertDec(p["liquidationPriceExact"], "101.53061225")
        self.assertDec(p["liquidationPrice"], "101.6")
        # leverage: default min(20, 50) = 20, tier 2 caps at 25 -> 20; IM = 2000/20 = 100
        self.assertDec(p["leverage"], "20")
        self.assertDec(p["initialMargin"], "100")
        self.assertTrue(rep["pools"][0]["liquidatable"])  # E = 0 < MM = 30
        self.assertIsNone(rep["pools"][0]["marginRatio"])  # E <= 0

    def test_leverage_capped_by_tier(self):
        # leverage 50 given; N = 2000 is in tier 2 (max 25): L_eff = 25, IM = 80 (QTY-3)
        rep = pe.evaluate(scenario([{"market": "X", "side": "long", "size": "20", "entryPrice": "100",
                                     "marginMode": "cross", "leverage": "50"}], wallet="1000"))
        self.assertDec(rep["positions"][0]["leverage"], "25")
        self.assertDec(rep["positions"][0]["initialMargin"], "80")

    def test_isolated_short_default_margin_and_computed_mark(self):
        # index 100, last 101: P1 = P2 = 100, P3 = 101 -> median 100, computed
        # isolated default margin: up(1 * 100 / min(20, 50)) = 5 (POS-5); MM = 1
        # LIQ short: P = (5 + 100 + 0)/(1 * 1.01) = 103.96039603...; tickDown(0.1) = 103.9; BKR 100 + 5 = 105
        rep = pe.evaluate(scenario([{"market": "X", "side": "short", "size": "1", "entryPrice": "100",
                                     "marginMode": "isolated"}], wallet="100",
                                   prices={"X": {"index": "100", "last": "101"}}))
        self.assertEqual(rep["prices"]["X"], {"mark": "100", "computed": True})
        p = rep["positions"][0]
        self.assertDec(p["isolatedMargin"], "5")
        self.assertDec(p["maintenanceMargin"], "1")
        self.assertDec(p["liquidationPriceExact"], "103.96039603")
        self.assertDec(p["liquidationPrice"], "103.9")
        self.assertDec(p["bankruptcyPrice"], "105")
        self.assertDec(rep["pools"][1]["marginRatio"], "0.2")

    def test_computed_mark_median_and_band(self):
        # fundingRate 0.0001, 14400 s of an 8 h interval: P1 = 100 * (1 + 0.0001 * 0.5) = 100.005
        # P2 = 100 + 0.5 = 100.5; P3 = 99 -> median 100.005
        pr = {"index": "100", "last": "99", "fundingRate": "0.0001", "secondsToFunding": "14400",
              "basisAverage": "0.5"}
        rep = pe.evaluate(scenario([], prices={"X": pr}))
        self.assertDec(rep["prices"]["X"]["mark"], "100.005")
        # last 120, basis 5: median(100.005, 105, 120) = 105, clamped by band 0.01 to 101
        pr = {"index": "100", "last": "120", "basisAverage": "5", "fundingRate": "0.0001", "secondsToFunding": "14400"}
        rep = pe.evaluate(scenario([], markets={"X": market(markPriceBand="0.01")}, prices={"X": pr}))
        self.assertDec(rep["prices"]["X"]["mark"], "101")
        # a mark that is not on the grid is rounded down (MARK-4): index 1, last 1, basis 1/3 of nothing:
        # fundingRate 0.00000001 over 1 s of 8 h: P1 = 1 + 1e-8/28800 -> median(P1, 1, 2) = P1 -> down = 1
        pr = {"index": "1", "last": "2", "fundingRate": "0.00000001", "secondsToFunding": "1"}
        rep = pe.evaluate(scenario([], prices={"X": pr}))
        self.assertDec(rep["prices"]["X"]["mark"], "1")

    def test_reasons(self):
        # a long at 1x on a cross wallet covering the whole notional: f(0) = 100 - 100 - 0 = 0 >= 0
        one_x = [{"minNotional": "0", "maxNotional": "1000", "maintenanceMarginRate": "0.01", "maxLeverage": "1"}]
        rep = pe.evaluate(scenario([{"market": "X", "side": "long", "size": "1", "entryPrice": "100",
                                     "marginMode": "cross"}], wallet="100", markets={"X": market(tiers=one_x)}))
        p = rep["positions"][0]
        self.assertIsNone(p["liquidationPrice"])
        self.assertEqual(p["liquidationPriceReason"], "never-liquidatable")
        self.assertEqual(p["bankruptcyPriceReason"], "never-bankrupt")  # 100 - 100/1 = 0 <= 0
        # a short whose root is below one tick: tick 1000, short 1 @ 600, wallet 0:
        # P = 600/1.01 = 594.05..., tickDown -> 0: always-liquidatable; BKR 600 -> tickDown 0: always-bankrupt
        rep = pe.evaluate(scenario([{"market": "X", "side": "short", "size": "1", "entryPrice": "600",
                                     "marginMode": "cross"}], markets={"X": market(tickSize="1000")},
                                   prices={"X": {"mark": "600"}}))
        p = rep["positions"][0]
        self.assertEqual(p["liquidationPriceReason"], "always-liquidatable")
        self.assertIsNone(p["liquidationPriceExact"])
        self.assertEqual(p["bankruptcyPriceReason"], "always-bankrupt")

    def test_mm_rounding_up(self):
        # MMR 0.0065, size 0.001, mark 1.23: N = 0.00123, MM = 0.000007995 -> up 0.000008
        t = [{"minNotional": "0", "maxNotional": "1000", "maintenanceMarginRate": "0.0065", "maxLeverage": "100"}]
        sc = scenario([{"market": "X", "side": "long", "size": "0.001", "entryPrice": "1.23",
                        "marginMode": "cross"}], wallet="1", markets={"X": market(tiers=t)},
                      prices={"X": {"mark": "1.23"}})
        self.assertDec(pe.evaluate(sc)["positions"][0]["maintenanceMargin"], "0.000008")
        os.environ["PERPCHECK_PY_MUTANT"] = "mm-round-down"
        try:
            self.assertDec(pe.evaluate(sc)["positions"][0]["maintenanceMargin"], "0.00000799")
        finally:
            del os.environ["PERPCHECK_PY_MUTANT"]

    def test_numbers_read_from_literal_text(self):
        # a JSON number is parsed from its text (NUM-5): 0.1 + 0.2 would not be 0.3 in binary floats
        text = ('{"markets":{"X":{"tickSize":0.1,"lotSize":0.1,"tiers":[{"minNotional":0,"maxNotional":1000,'
                '"maintenanceMarginRate":0.01,"maxLeverage":10}]}},"prices":{"X":{"mark":0.3}},'
                '"account":{"walletBalance":1.000000000,"positions":[{"market":"X","side":"long","size":0.1,'
                '"entryPrice":0.2,"marginMode":"cross"}]}}')
        rep = pe.evaluate(text)
        self.assertEqual(rep["positions"][0]["unrealizedPnl"], "0.01")
        self.assertEqual(rep["positions"][0]["notional"], "0.03")


class Errors(unittest.TestCase):
    def err(self, sc):
        with self.assertRaises(pe.SpecError) as cm:
            pe.evaluate(sc)
        return cm.exception.path, cm.exception.rule

    def test_paths_and_rules(self):
        ok = {"market": "X", "side": "long", "size": "1", "entryPrice": "100", "marginMode": "cross"}
        self.assertEqual(self.err(scenario([], wallet="-1")), ("account.walletBalance", "ACC-1"))
        self.assertEqual(self.err(scenario([], wallet="1.000000001")), ("account.walletBalance", "NUM-1"))
        self.assertEqual(self.err(scenario([], wallet="92233720368.54775808")), ("account.walletBalance", "NUM-2"))
        self.assertEqual(self.err(scenario([], wallet="+1")), ("account.walletBalance", "EVAL-4"))
        self.assertEqual(self.err(scenario([], wallet="1e1000")), ("account.walletBalance", "EVAL-4"))
        self.assertEqual(self.err(scenario([dict(ok), dict(ok)])), ("account.positions[1].market", "POS-6"))
        self.assertEqual(self.err(scenario([dict(ok, size="1.0001")])), ("account.positions[0].size", "POS-2"))
        self.assertEqual(self.err(scenario([dict(ok, leverage="51")])), ("account.positions[0].leverage", "POS-4"))
        self.assertEqual(self.err(scenario([dict(ok, isolatedMargin="1")])),
                         ("account.positions[0].isolatedMargin", "POS-5"))
        self.assertEqual(self.err(scenario([dict(ok, market="Y")])), ("account.positions[0].market", "POS-1"))
        self.assertEqual(self.err(scenario([ok], prices={"X": {"mark": "0"}})), ("prices.X.mark", "MARK-1"))
        self.assertEqual(self.err(scenario([], prices={"Y": {"mark": "1"}})), ("prices.Y", "PRICE-1"))
        bad_cum = [dict(TWO_TIERS[0]), dict(TWO_TIERS[1], maintenanceAmount="11")]
        self.assertEqual(self.err(scenario([], markets={"X": market(tiers=bad_cum)})),
                         ("markets.X.tiers[1].maintenanceAmount", "TIER-6"))
        # markets are validated in byte order of name: "B" before "a"
        self.assertEqual(self.err(scenario([], markets={"a": market(tickSize="0"), "B": market(lotSize="0")},
                                           prices={})), ("markets.B.lotSize", "MKT-1"))

    def test_strict_json(self):
        self.assertEqual(self.err('{"account":{"walletBalance":"1","foo":1}}'), ("account.foo", "EVAL-4"))
        self.assertEqual(self.err('{"account":{"walletBalance":"1","walletBalance":"2"}}'),
                         ("account.walletBalance", "EVAL-4"))
        self.assertEqual(self.err('{"account":{}} x'), ("$", "EVAL-4"))
        self.assertEqual(self.err('{"account":{"walletBalance":NaN}}'), ("$", "EVAL-4"))
        # SPEC EVAL-4: errors of the JSON text are at $ and come before duplicate keys
        self.assertEqual(self.err(b'{"account":{"walletBalance":"1","positions":[{"side":"a\xffb"}]}}'), ("$", "EVAL-4"))
        self.assertEqual(self.err('{"account":{"walletBalance":"1","positions":[{"side":"\\ud800"}]}}'), ("$", "EVAL-4"))
        self.assertEqual(self.err('{"account":{"walletBalance":"1","\\udc00":1}}'), ("$", "EVAL-4"))
        self.assertEqual(self.err('{"account":{"walletBalance":"1","walletBalance":"1","x":"\\udc00"}}'), ("$", "EVAL-4"))
        self.assertEqual(self.err('{"account":{"walletBalance":"1","walletBalance":"1","x":NaN}}'), ("$", "EVAL-4"))
        # a surrogate pair is one character, fine
        self.assertEqual(self.err('{"account":{"walletBalance":"1","\\ud83d\\ude00":1}}'), ("account.\"\U0001f600\"", "EVAL-4"))
        # EVAL-5: required fields in the order EVAL-5 lists them: entryPrice before marginMode
        self.assertEqual(self.err('{"account":{"walletBalance":"1","positions":[{"market":"X","side":"long","size":"1"}]}}'),
                         ("account.positions[0].entryPrice", "EVAL-4"))

    def test_variants(self):
        # SPEC VAR-1: every key and name is checked; the query variants are implemented (VAR-2)
        sc = scenario([])
        sc["markets"]["X"]["variants"] = {"trigger": "strict", "tierBound": "lower-inclusive", "liquidatorShare": None}
        self.assertEqual(pe.evaluate(sc)["pools"][0]["equity"], "0")
        sc["markets"]["X"]["variants"] = {"trigger": "at-equality", "closeFee": "taker"}
        self.assertEqual(pe.evaluate(sc)["pools"][0]["liquidatable"], False)  # E = MM = 0: never
        sc["markets"]["X"]["variants"] = {"trigger": "strict", "bogus": "x"}
        self.assertEqual(self.err(sc), ("markets.X.variants.bogus", "EVAL-4"))
        sc["markets"]["X"]["variants"] = {"tierSchedule": "stepped"}
        self.assertEqual(self.err(sc), ("markets.X.variants.tierSchedule", "VAR-1"))
        # VAR-1: one trigger per scenario; Y (after X in byte order) differs from X
        sc = scenario([], markets={"X": market(variants={"trigger": "at-equality"}), "Y": market()})
        self.assertEqual(self.err(sc), ("markets.Y.variants.trigger", "VAR-1"))

    def test_reported_value_out_of_range(self):
        # N = 90000000000 * 2 > MAX: NUM-2 at the report path (EVAL-2 step 4)
        t = [{"minNotional": "0", "maxNotional": "1000", "maintenanceMarginRate": "0.01", "maxLeverage": "10"}]
        sc = scenario([{"market": "X", "side": "long", "size": "2", "entryPrice": "1", "marginMode": "cross"}],
                      markets={"X": market(tiers=t, lotSize="1")}, prices={"X": {"mark": "90000000000"}})
        self.assertEqual(self.err(sc), ("positions[0].notional", "NUM-2"))


class Protocol(unittest.TestCase):
    def test_session(self):
        with open(os.path.join(EXAMPLES, "seed-xrp-isolated.json")) as f:
            sc = json.dumps(json.load(f), separators=(",", ":"))
        bad = '{"account":{"walletBalance":"-1"}}'
        lines = [
            '{"id":1,"type":"init","protocol":"perpcheck/1","spec":"SPEC.md","seed":42,"future":true}',
            '{"id":2,"type":"evaluate","scenario":%s}' % sc,
            '{"id":3,"type":"evaluate_batch","scenarios":[%s,%s]}' % (sc, bad),
            '{"id":4,"type":"evaluate","scenario":%s}' % bad,
            '{"id":5,"type":"ledger_open","session":"s1","state":{}}',
            '{"id":6,"type":"apply","session":"s1","event":{}}',
        ]
        cp = subprocess.run([sys.executable, os.path.join(HERE, "engine.py")], input="\n".join(lines) + "\n",
                            capture_output=True, text=True, timeout=60)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        out = [json.loads(x) for x in cp.stdout.splitlines()]
        self.assertEqual([o["in_reply_to"] for o in out], [1, 2, 3, 4, 5, 6])
        self.assertEqual(out[0]["type"], "init_ok")
        self.assertEqual((out[0]["engine"], out[0]["version"]), ("perpcheck-python", "0.1.0"))
        self.assertIn("isolated", out[0]["capabilities"])
        self.assertNotIn("ledger", out[0]["capabilities"])
        self.assertEqual(out[1]["type"], "evaluate_ok")
        self.assertEqual(out[1]["report"]["positions"][0]["liquidationPrice"], "0.95")
        self.assertEqual(out[2]["type"], "evaluate_batch_ok")
        self.assertEqual(out[2]["results"][0]["report"]["positions"][0]["bankruptcyPrice"], "0.9")
        e = out[2]["results"][1]["error"]
        self.assertEqual((e["code"], e["path"], e["rule"]), (1001, "account.walletBalance", "ACC-1"))
        self.assertEqual((out[3]["type"], out[3]["code"], out[3]["rule"]), ("error", 1001, "ACC-1"))
        self.assertEqual((out[4]["type"], out[4]["code"]), ("error", 10))
        self.assertEqual((out[5]["type"], out[5]["code"]), ("error", 10))

    def test_mutant_over_protocol(self):
        t = [{"minNotional": "0", "maxNotional": "1000", "maintenanceMarginRate": "0.0065", "maxLeverage": "100"}]
        sc = scenario([{"market": "X", "side": "long", "size": "0.001", "entryPrice": "1.23",
                        "marginMode": "cross"}], wallet="1", markets={"X": market(tiers=t)},
                      prices={"X": {"mark": "1.23"}})
        line = json.dumps({"id": 1, "type": "init", "protocol": "perpcheck/1"}) + "\n" + \
            json.dumps({"id": 2, "type": "evaluate", "scenario": sc}) + "\n"
        env = dict(os.environ, PERPCHECK_PY_MUTANT="mm-round-down")
        cp = subprocess.run([sys.executable, os.path.join(HERE, "engine.py")], input=line,
                            capture_output=True, text=True, timeout=60, env=env)
        rep = json.loads(cp.stdout.splitlines()[1])["report"]
        self.assertEqual(rep["positions"][0]["maintenanceMargin"], "0.00000799")


if __name__ == "__main__":
    unittest.main()
