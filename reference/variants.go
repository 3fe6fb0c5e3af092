package reference

import (
	"slices"
	"strings"

	"github.com/perpcheck/perpcheck/spec"
)

// validateVariants is VAR-1 for the variants object v of the market at path
// p, at its place in EVAL-2 step 1 (after fundingRateCap, before the tiers):
// each key in the order of SPEC's VAR table; liquidatorShare (NUM, then
// required/forbidden, then [0, 1]) right after isolatedLeftover, and
// fundingCapFactor (NUM, then required/forbidden, then > 0) right after
// fundingCap. It returns the selected names with every default filled in.
func validateVariants(p string, v *spec.Variants) (spec.Variants, *spec.Error) {
	var out spec.Variants
	for _, c := range spec.VariantChoices() {
		out.Set(c.Key, c.Names[0])
	}
	if v == nil {
		return out, nil
	}
	p += ".variants"
	for _, c := range spec.VariantChoices() {
		// An empty field selects the default (SPEC VAR: absent selects it).
		name := v.Get(c.Key)
		if !slices.Contains(c.Names, name) {
			return out, fail(p+"."+c.Key, "VAR-1", "%s variant must be one of %s, got %q", c.Rule, names(c.Names), name)
		}
		out.Set(c.Key, name)
		switch c.Key {
		case "isolatedLeftover":
			share, err := numNull(v.LiquidatorShare, p+".liquidatorShare")
			if err != nil {
				return out, err
			}
			split := name == spec.LeftoverLiquidatorSplit
			switch {
			case split && share == nil:
				return out, fail(p+".liquidatorShare", "VAR-1", "isolatedLeftover \"liquidator-split\" requires liquidatorShare")
			case !split && share != nil:
				return out, fail(p+".liquidatorShare", "VAR-1", "liquidatorShare is only allowed with isolatedLeftover \"liquidator-split\"")
			case share != nil && (share.Sign() < 0 || share.Cmp(dec(1)) > 0):
				return out, fail(p+".liquidatorShare", "VAR-1", "liquidatorShare must be in [0, 1], got %s", str(share))
			}
			out.LiquidatorShare = v.LiquidatorShare
		case "fundingCap":
			k, err := numNull(v.FundingCapFactor, p+".fundingCapFactor")
			if err != nil {
				return out, err
			}
			linked := name == spec.FundingCapMarginLinked
			switch {
			case linked && k == nil:
				return out, fail(p+".fundingCapFactor", "VAR-1", "fundingCap \"margin-linked\" requires fundingCapFactor")
			case !linked && k != nil:
				return out, fail(p+".fundingCapFactor", "VAR-1", "fundingCapFactor is only allowed with fundingCap \"margin-linked\"")
			case k != nil && k.Sign() <= 0:
				return out, fail(p+".fundingCapFactor", "VAR-1", "fundingCapFactor must be > 0, got %s", str(k))
			}
			out.FundingCapFactor = v.FundingCapFactor
		}
	}
	return out, nil
}

func names(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "\"" + x + "\""
	}
	return strings.Join(q, ", ")
}
