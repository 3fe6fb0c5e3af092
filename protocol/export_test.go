package protocol

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
)

// SetFastPaths turns the one-pass fast paths of both sides on or off (off:
// every line takes the path all lines took before them), and whether
// responses are read in the calling goroutine; it returns a function that
// restores them.
func SetFastPaths(fast, direct bool) (restore func()) {
	f, d := fastPaths, directReads
	fastPaths, directReads = fast, direct
	return func() { fastPaths, directReads = f, d }
}

// ServeScript is a scripted engine for the tests: it answers init, then
// answers the n-th request after it with the n-th line of the file script,
// "$ID" replaced by the request's id. It returns the exit status.
func ServeScript(r io.Reader, w io.Writer, script string) int {
	data, err := os.ReadFile(script)
	if err != nil {
		return 1
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	in := bufio.NewScanner(r)
	in.Buffer(nil, MaxLine)
	for in.Scan() {
		var req struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
		}
		json.Unmarshal(in.Bytes(), &req)
		id := strconv.FormatInt(req.ID, 10)
		if req.Type == "init" {
			io.WriteString(w, `{"in_reply_to":`+id+`,"type":"init_ok","engine":"script","version":"1","capabilities":["ledger"]}`+"\n")
			continue
		}
		if len(lines) == 0 {
			return 0
		}
		io.WriteString(w, strings.ReplaceAll(lines[0], "$ID", id)+"\n")
		lines = lines[1:]
	}
	return 0
}
