package strictjson

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/perpcheck/perpcheck/spec"
)

// fastTree parses data into a node tree in one pass over the bytes, without
// encoding/json's tokenizer (which allocates per token and was most of the
// decoding time). It returns ok=false on anything it does not accept (a
// syntax error, a duplicate key, too deep a nesting, trailing data); the
// caller then parses again with readValue, whose errors (messages and paths)
// are the package's contract. For valid documents the two give the same tree.
//
// A string (key or value) that is not valid UTF-8, or that escapes half of a
// UTF-16 surrogate pair, is an error (SPEC EVAL-4), returned as err at the
// path where it occurs: encoding/json would silently replace it by U+FFFD.
func fastTree(data []byte) (n *node, ok bool, err *Error) {
	s := scanner{data: data}
	n, ok = s.value(0, nil)
	if s.err != nil {
		return nil, false, s.err
	}
	if !ok {
		return nil, false, nil
	}
	s.space()
	return n, s.i == len(s.data), nil
}

type scanner struct {
	data []byte
	i    int
	err  *Error // an invalid string; the scan stops at it
}

func (s *scanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// keyIndexMin is the number of keys from which an object's duplicate check
// uses a map instead of comparing with every earlier key (which made an
// object of n keys, such as 200,000 markets, cost n*n/2 comparisons).
const keyIndexMin = 16

func (s *scanner) value(depth int, at *path) (*node, bool) {
	if depth > MaxDepth {
		return nil, false
	}
	s.space()
	if s.i >= len(s.data) {
		return nil, false
	}
	switch c := s.data[s.i]; {
	case c == '{':
		s.i++
		n := &node{kind: 'o'}
		s.space()
		if s.i < len(s.data) && s.data[s.i] == '}' {
			s.i++
			return n, true
		}
		var index map[string]struct{}
		for {
			s.space()
			k, ok := s.str(at, true)
			if !ok {
				return nil, false
			}
			if index != nil {
				if _, dup := index[k]; dup {
					return nil, false
				}
				index[k] = struct{}{}
			} else {
				for _, seen := range n.keys {
					if seen == k {
						return nil, false
					}
				}
				if len(n.keys)+1 >= keyIndexMin {
					index = make(map[string]struct{}, 2*keyIndexMin)
					for _, seen := range n.keys {
						index[seen] = struct{}{}
					}
					index[k] = struct{}{}
				}
			}
			s.space()
			if s.i >= len(s.data) || s.data[s.i] != ':' {
				return nil, false
			}
			s.i++
			p := at.child(k)
			v, ok := s.value(depth+1, &p)
			if !ok {
				return nil, false
			}
			n.keys = append(n.keys, k)
			n.items = append(n.items, v)
			s.space()
			if s.i >= len(s.data) {
				return nil, false
			}
			switch s.data[s.i] {
			case ',':
				s.i++
			case '}':
				s.i++
				return n, true
			default:
				return nil, false
			}
		}
	case c == '[':
		s.i++
		n := &node{kind: 'a'}
		s.space()
		if s.i < len(s.data) && s.data[s.i] == ']' {
			s.i++
			return n, true
		}
		for {
			p := at.item(len(n.items))
			v, ok := s.value(depth+1, &p)
			if !ok {
				return nil, false
			}
			n.items = append(n.items, v)
			s.space()
			if s.i >= len(s.data) {
				return nil, false
			}
			switch s.data[s.i] {
			case ',':
				s.i++
			case ']':
				s.i++
				return n, true
			default:
				return nil, false
			}
		}
	case c == '"':
		str, ok := s.str(at, false)
		if !ok {
			return nil, false
		}
		return &node{kind: 's', str: str}, true
	case c == '-' || c >= '0' && c <= '9':
		start := s.i
		if !s.number() {
			return nil, false
		}
		return &node{kind: 'n', str: string(s.data[start:s.i])}, true
	case s.literal("true"):
		return &node{kind: 'b', b: true}, true
	case s.literal("false"):
		return &node{kind: 'b'}, true
	case s.literal("null"):
		return &node{kind: 'z'}, true
	}
	return nil, false
}

func (s *scanner) literal(word string) bool {
	if len(s.data)-s.i >= len(word) && string(s.data[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// str reads a string literal. Plain ASCII without escapes is taken as it
// is; anything else goes through unquote, which rejects invalid UTF-8 and
// unpaired surrogate escapes (setting s.err at the path of the value, or of
// the object for a key).
func (s *scanner) str(at *path, key bool) (string, bool) {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return "", false
	}
	start := s.i
	s.i++
	plain := true
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			if plain {
				return string(s.data[start+1 : s.i-1]), true
			}
			out, msg, ok := unquote(s.data[start+1 : s.i-1])
			if !ok {
				return "", false
			}
			if msg != "" {
				where := "a string"
				if key {
					where = "an object key"
				}
				s.err = &Error{Path: at.String(), Msg: msg + " in " + where}
				return "", false
			}
			return out, true
		case c == '\\':
			plain = false
			s.i += 2
			continue
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			plain = false
		}
		s.i++
	}
	return "", false
}

// unquote decodes the inside of a JSON string literal whose syntax str has
// checked (no raw control characters, every backslash followed by a byte).
// msg is non-empty for what SPEC EVAL-4 rejects: bytes that are not UTF-8,
// and a \u escape of a surrogate that is not half of a pair. A malformed
// escape gives ok false: a syntax error, which readValue then reports.
func unquote(b []byte) (out string, msg string, ok bool) {
	buf := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\\':
			if i+1 >= len(b) {
				return "", "", false
			}
			switch b[i+1] {
			case '"', '\\', '/':
				buf = append(buf, b[i+1])
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(b[i+2:])
				if !ok {
					return "", "", false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(0), false
					if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
						r2, ok2 = hex4(b[i+2:])
					}
					dec := utf16.DecodeRune(r, r2)
					if !ok2 || dec == utf8.RuneError {
						return "", "an unpaired UTF-16 surrogate escape", true
					}
					r = dec
					i += 6
				}
				buf = utf8.AppendRune(buf, r)
				continue
			default:
				return "", "", false
			}
			i += 2
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return "", "invalid UTF-8", true
			}
			buf = append(buf, b[i:i+size]...)
			i += size
		}
	}
	return string(buf), "", true
}

// hex4 reads the 4 hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number reads a JSON number (RFC 8259 grammar).
func (s *scanner) number() bool {
	d := s.data
	if s.i < len(d) && d[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(d) && d[s.i] == '0':
		s.i++
	case s.i < len(d) && d[s.i] >= '1' && d[s.i] <= '9':
		for s.i < len(d) && d[s.i] >= '0' && d[s.i] <= '9' {
			s.i++
		}
	default:
		return false
	}
	if s.i < len(d) && d[s.i] == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(d) && (d[s.i] == 'e' || d[s.i] == 'E') {
		s.i++
		if s.i < len(d) && (d[s.i] == '+' || d[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// path is a JSON path built lazily: a segment and its parent. Decoding
// passes paths down without formatting them; only an error formats one.
type path struct {
	parent *path
	key    string
	index  int // -1 for a key
}

func (p *path) child(key string) path { return path{parent: p, key: key, index: -1} }
func (p *path) item(i int) path       { return path{parent: p, index: i} }

// String formats p as "a.b[2].c"; the root is "".
func (p *path) String() string {
	if p == nil {
		return ""
	}
	if p.index >= 0 {
		return p.parent.String() + "[" + strconv.Itoa(p.index) + "]"
	}
	return join(p.parent.String(), spec.PathKey(p.key))
}
