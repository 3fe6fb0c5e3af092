// Package difftest holds the first randomized differential test of the two
// ledgers (model.Ledger, fixed point, and reference.Ledger, apd): the same random
// event sequences must produce the same effects, errors and states, event by
// event (SPEC LED). The full stateful property suite lives in properties/.
package difftest
