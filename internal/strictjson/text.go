package strictjson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// textError returns the error of a document that is not a JSON text of
// Unicode characters (SPEC EVAL-4, "errors of the JSON text"): not one JSON
// value (a syntax error, data after the value), bytes that are not UTF-8, or
// a \u escape of half a UTF-16 surrogate pair. Such an error is at the path
// of the whole document ("" here, "$" in a SPEC error), whatever else the
// document holds, and comes before every other error: standard JSON readers
// in other languages report these by offset, not by path (A-7 of the Python
// engine). nil if the text is fine.
func textError(data []byte) *Error {
	if !json.Valid(data) {
		dec := json.NewDecoder(bytes.NewReader(data))
		var first json.RawMessage
		if err := dec.Decode(&first); err != nil {
			if e, ok := syntaxError("", err).(*Error); ok {
				return e
			}
		}
		return &Error{Msg: "unexpected data after the JSON document"}
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return &Error{Msg: "invalid UTF-8 at byte offset " + strconv.Itoa(i)}
	}
	if at := unpairedSurrogate(data); at >= 0 {
		return &Error{Msg: "an unpaired UTF-16 surrogate escape at byte offset " + strconv.Itoa(at)}
	}
	return nil
}

// unpairedSurrogate returns the offset of the first \u escape of half a
// surrogate pair without its other half in data, a valid JSON text, or -1.
func unpairedSurrogate(data []byte) int {
	in := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !in {
			if c == '"' {
				in = true
			}
			continue
		}
		switch c {
		case '"':
			in = false
		case '\\':
			if data[i+1] != 'u' {
				i++ // a one-character escape (valid JSON: there is a next byte)
				continue
			}
			r, _ := hex4(data[i+2 : i+6])
			switch {
			case r >= 0xD800 && r < 0xDC00:
				if i+12 <= len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
					if lo, _ := hex4(data[i+8 : i+12]); lo >= 0xDC00 && lo <= 0xDFFF {
						i += 11
						continue
					}
				}
				return i
			case r >= 0xDC00 && r <= 0xDFFF:
				return i
			}
			i += 5
		}
	}
	return -1
}
