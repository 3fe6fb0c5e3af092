package model

// CrossPaths exports both paths of Portfolio.Cross to the external tests
// (cross_fast_test.go): the general path's result, whether the one-position
// fast path applies and accepted the portfolio, its result, and the general
// path's error.
func CrossPaths(p *Portfolio) (general PoolHealth, applies, taken bool, fast PoolHealth, err error) {
	state := p.fast1
	p.fast1 = fast1Off
	general, err = p.Cross()
	p.fast1 = state
	if applies = p.fast1Applies(); applies {
		taken = p.crossOne(&fast)
	}
	return general, applies, taken, fast, err
}
