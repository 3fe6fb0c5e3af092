// Package protocol implements perpcheck/1 (PROTOCOL.md): margin engines in
// any language answer perpcheck's requests as JSON lines on their standard
// input and output.
//
// Serve is the engine side: it answers requests with a Go implementation
// (perpcheck serve uses it for the model and the reference, so that they can
// be oracles for other harnesses and so that the protocol is tested end to
// end). Start is the harness side: it runs an engine process, performs the
// init handshake and offers Evaluate and ledger sessions as Go methods,
// restarting the process after a crash, a timeout or a protocol failure and
// keeping the transcript of what was sent and received (PR-12).
package protocol
