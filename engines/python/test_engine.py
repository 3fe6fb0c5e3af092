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


# SPEC TIER-3's worked example: Hyperliquid ETH, 25x below 100,000,000 notional, 15x from it. The given
# rates are required and checked (monotone, in [0, 1)) but unused under TIER-3:half-initial; tier 2
# omits maintenanceAmount (its deduction 4,000,000/3 is not on the 1e-8 grid).
HL_ETH = [
    {"minNotional": "0", "maxNotional": "100000000", "maintenanceMarginRate": "0.02", "maxLeverage": "25"},
    {"minNotional": "100000000", "maxNotional": "10000000000", "maintenanceMarginRate": "0.0333", "maxLeverage": "15"},
]
# OKX ETHUSDT's published rates (venue/static.go's note: 0.4%/0.8%/125x, 0.5%/1%/100x, 1%/1.5%/66.66x),
# on notional bounds of our own (OKX bounds tiers in contracts).
OKX_ETH = [
    {"minNotional": "0", "maxNotional": "250000", "maintenanceMarginRate": "0.004", "maxLeverage": "125",
     "initialMarginRate": "0.008"},
    {"minNotional": "250000", "maxNotional": "500000", "maintenanceMarginRate": "0.005", "maxLeverage": "100",
     "initialMarginRate": "0.01"},
    {"minNotional": "500000", "maxNotional": "1000000", "maintenanceMarginRate": "0.01", "maxLeverage": "66.66",
     "initialMarginRate": "0.015"},
]


def pos(side, size, ep, mode="cross", **kw):
    p = {"market": "X", "side": side, "size": size, "entryPrice": ep, "marginMode": mode}
    p.update(kw)
    return p


class VariantGolden(unittest.TestCase):
    """SPEC VAR's query variants and explicit initial margin rates; every expected value by hand."""

    def assertDec(self, got, want, msg=None):
        self.assertEqual(D(got), D(want), msg)

    def err(self, sc):
        kind, body = pe.evaluate_safe(sc)
        self.assertEqual(kind, "error", body)
        return body["path"], body["rule"]

    def one(self, variants, tiers, positions, wallet="0", mark="100", **mkw):
        m = market(tiers=tiers, variants=variants, **mkw)
        return pe.evaluate(scenario(positions, wallet=wallet, markets={"X": m}, prices={"X": {"mark": mark}}))

    def test_half_initial_hyperliquid_eth(self):
        # TIER-3:half-initial: MMR = 1/50, 1/30; D = lcm(50, 30) = 150, a = (3, 5),
        # cum_2 = 100,000,000 * (5 - 3) / 150 = 4,000,000/3.
        # Cross long 50,000 @ 3,000, mark 3,000, wallet 20,000,000: N = 150,000,000 (tier 2)
        rep = self.one({"maintenanceRate": "half-initial"}, HL_ETH,
                       [pos("long", "50000", "3000")], wallet="20000000", mark="3000", lotSize="0.0001")
        p, pool = rep["positions"][0], rep["pools"][0]
        self.assertEqual(p["tier"], 2)
        # MM = (150,000,000 * 5 - 200,000,000) / 150 = 11,000,000/3 = 3,666,666.666... -> up
        self.assertDec(p["maintenanceMargin"], "3666666.66666667")
        self.assertDec(pool["maintenanceMargin"], "3666666.66666667")
        # QTY-3/4: leverage min(20 (POS-4 default), 15) = 15, IM = 150,000,000 / 15
        self.assertDec(p["leverage"], "15")
        self.assertDec(p["initialMargin"], "10000000")
        # LIQ-4, tier 2: P = (K - Q*EP + cum_2) / (Q * (1/30 - 1))
        #   = (20,000,000 - 150,000,000 + 4,000,000/3) / (50,000 * -29/30) = 386,000/145 = 77,200/29
        #   = 2662.0689655172...; Q*P = 133,103,448 >= 100,000,000 (tier 2). Tier 1's
        #   (20,000,000 - 150,000,000) / (50,000 * -49/50) = 2653.06... has Q*P >= 100,000,000: not its own.
        #   up -> 2662.06896552; tickUp(0.1) -> 2662.1
        self.assertDec(p["liquidationPriceExact"], "2662.06896552")
        self.assertDec(p["liquidationPrice"], "2662.1")
        # POOL-4: MM / E = (11,000,000/3) / 20,000,000 = 11/60 = 0.18333... -> up
        self.assertDec(pool["marginRatio"], "0.18333334")
        self.assertFalse(pool["liquidatable"])
        # BKR-1: 3000 - 20,000,000 / 50,000 = 2600
        self.assertDec(p["bankruptcyPrice"], "2600")
        # The given rates alone (default maintenanceRate) would give MM = 150,000,000 * 0.0333 - cum_2,
        # cum_2 = 100,000,000 * (0.0333 - 0.02) = 1,330,000: 4,995,000 - 1,330,000 = 3,665,000.
        rep = self.one({}, HL_ETH, [pos("long", "50000", "3000")], wallet="20000000", mark="3000", lotSize="0.0001")
        self.assertDec(rep["positions"][0]["maintenanceMargin"], "3665000")

    def test_half_initial_checks(self):
        v = {"maintenanceRate": "half-initial"}
        # TIER-6 still holds on the derived rates: tier 2's deduction 4,000,000/3 is no given amount
        t = [dict(HL_ETH[0]), dict(HL_ETH[1], maintenanceAmount="1333333.33333333")]
        self.assertEqual(self.err(scenario([], markets={"X": market(tiers=t, variants=v)})),
                         ("markets.X.tiers[1].maintenanceAmount", "TIER-6"))
        # an integer maxLeverage, at T.maxLeverage, after the given rate's checks
        t = [dict(HL_ETH[0], maxLeverage="12.5")]
        self.assertEqual(self.err(scenario([], markets={"X": market(tiers=t, variants=v)})),
                         ("markets.X.tiers[0].maxLeverage", "TIER-3"))
        t = [dict(HL_ETH[0], maxLeverage="12.5", maintenanceMarginRate="1")]
        self.assertEqual(self.err(scenario([], markets={"X": market(tiers=t, variants=v)})),
                         ("markets.X.tiers[0].maintenanceMarginRate", "TIER-3"))
        # D over every half-initial market in byte order: A's 999x gives 1998, B's 1000x
        # lcm(1998, 2000) = 1,998,000 > 10^6 (each alone is fine)
        one = lambda lev: market(tiers=[dict(HL_ETH[0], maxLeverage=lev)], variants=v)  # noqa: E731
        pr = {"A": {"mark": "1"}}
        self.assertEqual(self.err(scenario([], markets={"A": one("999"), "B": one("1000")}, prices=pr)),
                         ("markets.B.tiers[0].maxLeverage", "TIER-3"))
        pe.evaluate(scenario([], markets={"A": one("999")}, prices=pr))
        # 500,001x alone: D = 1,000,002 > 10^6; -1,000,000x is no leverage (< 1): TIER-4, not D (B-2)
        self.assertEqual(self.err(scenario([], markets={"A": one("500001")}, prices=pr)),
                         ("markets.A.tiers[0].maxLeverage", "TIER-3"))
        self.assertEqual(self.err(scenario([], markets={"A": one("-1000000")}, prices=pr)),
                         ("markets.A.tiers[0].maxLeverage", "TIER-4"))
        pe.evaluate(scenario([], markets={"A": one("1000"), "B": market()}, prices=pr))
        # explicit rates are not defined with half-initial: TIER-3 at T.initialMarginRate
        t = [dict(HL_ETH[0], initialMarginRate="0.04")]
        self.assertEqual(self.err(scenario([], markets={"X": market(tiers=t, variants=v)})),
                         ("markets.X.tiers[0].initialMarginRate", "TIER-3"))

    def test_explicit_imr_okx_eth_tier3(self):
        # QTY-4: IM = N * max(1/L, IMR_t); N = 250 * 3000 = 750,000 is tier 3 (IMR 1.5%, 66.66x)
        for lev, im, shown in [("125", "11250", "66.66"),              # max(0.008, 0.015) = 1.5%
                               ("66.66", "11251.12511252", "66.66"),   # 750,000/66.66 = 12,500,000/1111
                               ("50", "15000", "50")]:                 # max(0.02, 0.015) = 2%
            rep = self.one({}, OKX_ETH, [pos("long", "250", "3000", leverage=lev)], wallet="100000", mark="3000")
            p = rep["positions"][0]
            self.assertEqual(p["tier"], 3)
            self.assertDec(p["initialMargin"], im, lev)
            self.assertDec(rep["pools"][0]["initialMargin"], im, lev)
            self.assertDec(p["leverage"], shown, lev)  # QTY-3: min(L, maxLeverage_3)
            # progressive MM: cum_3 = 250,000 * 0.001 + 500,000 * 0.005 = 2750; 7500 - 2750
            self.assertDec(p["maintenanceMargin"], "4750")
        # POS-5: an isolated position's default margin up(Q*EP * max(1/L, IMR_tier(Q*EP)))
        rep = self.one({}, OKX_ETH, [pos("long", "250", "3000", mode="isolated", leverage="66.66")], mark="3000")
        self.assertDec(rep["positions"][0]["isolatedMargin"], "11251.12511252")
        # Q*EP = 600 * 100 = 60,000 (tier 1, IMR 0.8%): at 20x (the default) 5%: 3000
        rep = self.one({}, OKX_ETH, [pos("long", "600", "100", mode="isolated")], mark="100")
        self.assertDec(rep["positions"][0]["isolatedMargin"], "3000")

    def test_explicit_imr_checks(self):
        def err(i, **kw):
            t = [dict(x) for x in OKX_ETH]
            t[i].update(kw)
            for k, v in list(t[i].items()):
                if v is None:
                    del t[i][k]
            return self.err(scenario([], markets={"X": market(tiers=t)}))
        P = "markets.X.tiers[%d].initialMarginRate"
        self.assertEqual(err(1, initialMarginRate=None), (P % 1, "TIER-1"))   # all or none
        self.assertEqual(err(0, initialMarginRate="0"), (P % 0, "TIER-5"))    # 0 < IMR
        self.assertEqual(err(2, initialMarginRate="0.009"), (P % 2, "TIER-5"))  # below tier 2's 1%
        self.assertEqual(err(1, maintenanceMarginRate="0.006", initialMarginRate="0.005"), (P % 1, "TIER-5"))
        # IMR * maxLeverage <= 1: 0.015 * 67 = 1.005 (TIER-5's own 0.01 * 67 <= 1 passes first)
        self.assertEqual(err(2, maxLeverage="67"), (P % 2, "TIER-5"))
        t = [dict(x) for x in OKX_ETH]
        t[0]["maxLeverage"] = "200"
        t[1]["maxLeverage"] = "150"
        t[2]["maxLeverage"] = "67"
        self.assertEqual(self.err(scenario([], markets={"X": market(tiers=t)})), (P % 0, "TIER-5"))  # 0.008*200

    def test_at_equality_trigger(self):
        # One tier MMR 1%; cross long 1 @ 100, mark 100, wallet 1: E = 1 = MM = 100 * 1%.
        t = [{"minNotional": "0", "maxNotional": "1000", "maintenanceMarginRate": "0.01", "maxLeverage": "50"}]
        strict = self.one({}, t, [pos("long", "1", "100")], wallet="1")
        ateq = self.one({"trigger": "at-equality"}, t, [pos("long", "1", "100")], wallet="1")
        self.assertFalse(strict["pools"][0]["liquidatable"])  # POOL-5: E = MM is not liquidatable
        self.assertTrue(ateq["pools"][0]["liquidatable"])     # at-equality: E <= MM
        # f(P) = 1 + (P - 100) - 0.01 P = 0.99 P - 99: root 100 exactly. Strict: tickUp(100) = 100.
        self.assertDec(strict["positions"][0]["liquidationPrice"], "100")
        self.assertDec(strict["positions"][0]["liquidationPriceExact"], "100")
        # at-equality: liquidatable at the root (E(100) = 1 != 0), so LIQ-6 one tick up, LIQ-5 one unit up
        self.assertDec(ateq["positions"][0]["liquidationPrice"], "100.1")
        self.assertDec(ateq["positions"][0]["liquidationPriceExact"], "100.00000001")
        # a short: f(P) = 1 - (P - 100) - 0.01 P = 101 - 1.01 P, root 100: one tick / unit down
        ateq = self.one({"trigger": "at-equality"}, t, [pos("short", "1", "100")], wallet="1")
        self.assertTrue(ateq["pools"][0]["liquidatable"])
        self.assertDec(ateq["positions"][0]["liquidationPrice"], "99.9")
        self.assertDec(ateq["positions"][0]["liquidationPriceExact"], "99.99999999")
        # E = MM = 0 is never liquidatable: MMR 0, wallet 0, long 1 @ 100 at mark 100. f(P) = P - 100,
        # root 100 where E(100) = 0 too: not liquidatable there, so the price is the root itself.
        t0 = [dict(t[0], maintenanceMarginRate="0")]
        rep = self.one({"trigger": "at-equality"}, t0, [pos("long", "1", "100")])
        self.assertFalse(rep["pools"][0]["liquidatable"])
        self.assertDec(rep["positions"][0]["liquidationPrice"], "100")
        self.assertDec(rep["positions"][0]["liquidationPriceExact"], "100")

    def test_flat_and_upper_inclusive(self):
        # TIER-8:flat: MM(N) = N * MMR_t, no deduction. Two tiers: 1% below 1000, 2% from it.
        t = TWO_TIERS
        for variants, mark, tier, mm in [
            ({}, "100", 2, "10"),                                     # 1000*2% - 1000*1% (progressive)
            ({"tierSchedule": "flat"}, "100", 2, "20"),               # 1000 * 2%
            ({"tierSchedule": "flat"}, "99.99", 1, "9.999"),          # 999.9 * 1%
            ({"tierSchedule": "flat", "tierBound": "upper-inclusive"}, "100", 1, "10"),  # 1000 <= max of tier 1
            ({"tierBound": "upper-inclusive"}, "100.01", 2, "10.002"),  # 1000.1*2% - 10
        ]:
            rep = self.one(variants, t, [pos("long", "10", "100")], wallet="1000", mark=mark)
            self.assertEqual(rep["positions"][0]["tier"], tier, variants)
            self.assertDec(rep["positions"][0]["maintenanceMargin"], mm, variants)
        # TIER-6 under flat: a given maintenanceAmount must be 0
        t2 = [dict(TWO_TIERS[0]), dict(TWO_TIERS[1], maintenanceAmount="10")]
        self.assertEqual(self.err(scenario([], markets={"X": market(tiers=t2, variants={"tierSchedule": "flat"})})),
                         ("markets.X.tiers[1].maintenanceAmount", "TIER-6"))
        # A flat short whose root is the boundary: short 20 @ 50, wallet 15. f = 1015 - 20 P - MM(20 P):
        # tier 1 (P < 50) 1015 - 20.2 P > 0 there (1015/20.2 = 50.25 >= 50); tier 2 (P >= 50)
        # 1015 - 20.4 P < 0 everywhere in it (1015/20.4 = 49.75 < 50). So inf S = 50, liquidatable at
        # 50 (f(50) = -5): LIQ-6 tickDown(50) = 50 is the root, one tick down: 49.9; LIQ-5 49.99999999.
        rep = self.one({"tierSchedule": "flat"}, t, [pos("short", "20", "50")], wallet="15", mark="40")
        self.assertDec(rep["positions"][0]["liquidationPrice"], "49.9")
        self.assertDec(rep["positions"][0]["liquidationPriceExact"], "49.99999999")
        # the same progressive: tier 2 f = 1015 + 10 - 20.4 P, root 1025/20.4 = 50.2450980392... (tier 2)
        rep = self.one({}, t, [pos("short", "20", "50")], wallet="15", mark="40")
        self.assertDec(rep["positions"][0]["liquidationPrice"], "50.2")
        self.assertDec(rep["positions"][0]["liquidationPriceExact"], "50.24509803")

    def test_taker_close_fee(self):
        # QTY-5:taker: MM = MM(Nb) + takerFeeRate * Nb; one tier 1%, taker 0.05%, long 1 @ 100, mark 100
        t = [{"minNotional": "0", "maxNotional": "1000", "maintenanceMarginRate": "0.01", "maxLeverage": "50"}]
        rep = self.one({"closeFee": "taker"}, t, [pos("long", "1", "100")], wallet="10", takerFeeRate="0.0005")
        self.assertDec(rep["positions"][0]["maintenanceMargin"], "1.05")  # 100 * (0.01 + 0.0005)
        # f(P) = 10 + (P - 100) - 0.0105 P = 0.9895 P - 90: root 90/0.9895 = 180000/1979 = 90.955027791...
        self.assertDec(rep["positions"][0]["liquidationPriceExact"], "90.9550278")
        self.assertDec(rep["positions"][0]["liquidationPrice"], "91")
        # without the variant the fee rate does not enter MM
        rep = self.one({}, t, [pos("long", "1", "100")], wallet="10", takerFeeRate="0.0005")
        self.assertDec(rep["positions"][0]["maintenanceMargin"], "1")
        # MMR_t + takerFeeRate < 1, at T.maintenanceMarginRate (QTY-5), right after TIER-3
        t = [dict(t[0], maintenanceMarginRate="0.6", maxLeverage="1")]
        sc = scenario([], markets={"X": market(tiers=t, variants={"closeFee": "taker"}, takerFeeRate="0.4")})
        self.assertEqual(self.err(sc), ("markets.X.tiers[0].maintenanceMarginRate", "QTY-5"))
        # under half-initial with the derived rate 1/(2*1) = 0.5: 0.5 + 0.5 >= 1 is QTY-5; with a
        # maxLeverage below 1 there is no derived rate and TIER-4 reports the tier (SPEC TIER-3)
        v = {"closeFee": "taker", "maintenanceRate": "half-initial"}
        t = [dict(t[0], maintenanceMarginRate="0.1", maxLeverage="1")]
        sc = scenario([], markets={"X": market(tiers=t, variants=v, takerFeeRate="0.5")})
        self.assertEqual(self.err(sc), ("markets.X.tiers[0].maintenanceMarginRate", "QTY-5"))
        t = [dict(t[0], maintenanceMarginRate="0.5", maxLeverage="0")]
        sc = scenario([], markets={"X": market(tiers=t, variants=v, takerFeeRate="0.6")})
        self.assertEqual(self.err(sc), ("markets.X.tiers[0].maxLeverage", "TIER-4"))


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
