package protocol

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// This file is the cheap scan behind the one-pass fast paths of both sides:
// it splits a message line into its top-level members without decoding the
// values. It accepts only the plain form every perpcheck/1 implementation
// writes (keys without escapes, no duplicate keys); on anything else the
// caller takes its slow path, encoding/json as before, so what is accepted
// and every error message stay what they were.

// member is one top-level member of a message: its key and the raw bytes of
// its value.
type member struct {
	key string
	val []byte
}

// splitObject returns the members of the JSON object data, appended to
// buf[:0], or ok=false when data is not a plain object (see above). Values
// are not validated: callers parse the ones they use with a strict parser
// and take the slow path for any other.
//
// A member whose key is in last and whose value is an object or an array
// is taken to be the last member, as every perpcheck/1 implementation
// written here writes its body, without scanning it: its value runs to the
// object's closing brace. Should members follow it, that value is not one
// JSON value and the caller's strict decoding of it fails, so the caller
// takes its slow path.
func splitObject(data []byte, buf []member, last ...string) (members []member, ok bool) {
	members = buf[:0]
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return members, skipSpace(data, i+1) == len(data)
	}
	for {
		key, j, ok := plainString(data, i)
		if !ok {
			return nil, false
		}
		for _, m := range members {
			if m.key == key {
				return nil, false
			}
		}
		j = skipSpace(data, j)
		if j >= len(data) || data[j] != ':' {
			return nil, false
		}
		start := skipSpace(data, j+1)
		if start < len(data) && (data[start] == '{' || data[start] == '[') && slices.Contains(last, key) {
			end := len(data)
			for end > start && isSpace(data[end-1]) {
				end--
			}
			if end <= start+1 || data[end-1] != '}' {
				return nil, false
			}
			end--
			for end > start && isSpace(data[end-1]) {
				end--
			}
			return append(members, member{key: key, val: data[start:end]}), true
		}
		end, ok := skipValue(data, start)
		if !ok {
			return nil, false
		}
		members = append(members, member{key: key, val: data[start:end]})
		i = skipSpace(data, end)
		if i >= len(data) {
			return nil, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return members, skipSpace(data, i+1) == len(data)
		default:
			return nil, false
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// plainString reads a string literal at data[i] that has no escapes and no
// control characters and is valid UTF-8, so that its bytes are its value.
func plainString(data []byte, i int) (s string, end int, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return "", 0, false
	}
	ascii := true
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			v := data[i+1 : j]
			if !ascii && !utf8.Valid(v) {
				return "", 0, false
			}
			return string(v), j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", 0, false
}

// skipValue returns the end of the value that starts at data[i]: a string
// or a bracketed value is matched (minding strings inside), anything else
// runs to the next delimiter. It does not validate.
func skipValue(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			if !structural[data[i]] {
				i++
				continue
			}
			switch data[i] {
			case '"':
				end, ok := skipString(data, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	start := i
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, i > start
		}
		i++
	}
	return i, i > start
}

// structural marks the bytes skipValue stops at inside a bracketed value.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// skipString returns the end of the string literal at data[i].
func skipString(data []byte, i int) (int, bool) {
	j := i + 1
	for {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return 0, false
		}
		j += k
		// The quote ends the string unless an odd number of backslashes
		// escapes it.
		n := 0
		for data[j-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return j + 1, true
		}
		j++
	}
}

// jsonInt parses v when it is an integer literal of JSON's grammar
// (-?(0|[1-9][0-9]*)) that fits an int64.
func jsonInt(v []byte) (int64, bool) {
	i := 0
	neg := false
	if i < len(v) && v[i] == '-' {
		neg, i = true, 1
	}
	if i >= len(v) || v[i] < '0' || v[i] > '9' || (v[i] == '0' && len(v) > i+1) || len(v)-i > 18 {
		return 0, false
	}
	var n int64
	for ; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(v[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// jsonString returns the value of v when it is a plain string literal (see
// plainString).
func jsonString(v []byte) (string, bool) {
	s, end, ok := plainString(v, 0)
	return s, ok && end == len(v)
}
