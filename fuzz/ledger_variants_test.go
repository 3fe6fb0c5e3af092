package fuzz

import (
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// TestDecodeLedgerVariants: a first byte of 0..2 selects no variant (the
// ledger seeds decode as before); 3 and more reads one byte per choice and
// market. The input below picks, for BTC, every choice's second name
// (at-equality, upper-inclusive, flat, half-initial, taker, insurance,
// position, account, margin-linked with factor 2, unchecked), and for XRP
// the defaults with liquidator-split (share 51/255 = 0.2) and explicit
// rates; the trigger is BTC's for both (VAR-1). The checks of
// LedgerDifferential (both ledgers agree, LED-4) hold on it and on every
// first byte.
func TestDecodeLedgerVariants(t *testing.T) {
	for b0 := range byte(3) {
		st, _ := decodeLedger([]byte{b0, 1, 2, 3})
		for name, m := range st.Markets {
			if m.Variants != nil {
				t.Fatalf("first byte %d: market %s has variants %+v", b0, name, m.Variants)
			}
		}
	}
	//              b0  trig bound sched rate fee left payer adl cap lev  k   imr?
	btc := []byte{3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}
	//              trig bound sched rate fee left payer adl cap lev share imr? pos
	xrp := []byte{0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 51, 1, 4}
	data := append(append(btc, xrp...), 0, 0, 0, 0, 0, 0, 0) // the wallets
	st, _ := decodeLedger(data)
	b, x := st.Markets["BTC"].Variants, st.Markets["XRP"].Variants
	wantB := spec.Variants{Trigger: spec.TriggerAtEquality, TierBound: spec.TierBoundUpper, TierSchedule: spec.TierScheduleFlat,
		MaintenanceRate: spec.MaintenanceRateHalfInitial, CloseFee: spec.CloseFeeTaker, IsolatedLeftover: spec.LeftoverInsurance,
		IsolatedFeePayer: spec.FeePayerPosition, ADLRanking: spec.ADLRankingAccount, FundingCap: spec.FundingCapMarginLinked,
		SetLeverage: spec.SetLeverageUnchecked}
	if b == nil || b.Trigger != wantB.Trigger || b.TierBound != wantB.TierBound || b.TierSchedule != wantB.TierSchedule ||
		b.MaintenanceRate != wantB.MaintenanceRate || b.CloseFee != wantB.CloseFee || b.IsolatedLeftover != wantB.IsolatedLeftover ||
		b.IsolatedFeePayer != wantB.IsolatedFeePayer || b.ADLRanking != wantB.ADLRanking || b.FundingCap != wantB.FundingCap ||
		b.SetLeverage != wantB.SetLeverage || b.FundingCapFactor.Decimal.String() != "2" {
		t.Fatalf("BTC variants %+v, want %+v with factor 2", b, wantB)
	}
	if x == nil || x.Trigger != spec.TriggerAtEquality || x.IsolatedLeftover != spec.LeftoverLiquidatorSplit || x.LiquidatorShare.Decimal.String() != "0.2" || x.MaintenanceRate != spec.MaintenanceRateGiven {
		t.Fatalf("XRP variants %+v, want the shared trigger and liquidator-split 0.2", x)
	}
	for _, tr := range st.Markets["BTC"].Tiers {
		if tr.MaintenanceAmount.Valid && !tr.MaintenanceAmount.Decimal.IsZero() || !tr.MaxLeverage.Equal(tr.MaxLeverage.Floor()) || tr.InitialMarginRate != nil {
			t.Fatalf("BTC tier %+v: want flat (amount 0 or none), integer leverage, no explicit rate", tr)
		}
	}
	for _, tr := range st.Markets["XRP"].Tiers {
		if tr.InitialMarginRate == nil {
			t.Fatalf("XRP tier %+v: want an explicit initial margin rate", tr)
		}
	}
	// The state is a valid input to the query layer too (its markets pass
	// TIER and VAR), whatever the ledgers implement.
	sc := &spec.Scenario{Markets: st.Markets, Prices: st.Prices}
	if _, err := model.Evaluate(sc); err != nil {
		t.Fatalf("the decoded markets are not valid: %v", err)
	}
	for b0 := range byte(12) {
		d := append([]byte{b0}, data[1:]...)
		if err := checkLedger(d, newReferenceLedger); err != nil {
			t.Errorf("first byte %d: %v", b0, err)
		}
	}
}
