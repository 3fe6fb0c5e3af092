package strictjson

import (
	"bytes"
	"reflect"
)

// UnmarshalReference is Unmarshal without the direct decoder: the
// implementation as it was before it, kept as the reference.
func UnmarshalReference(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &Error{Msg: "strictjson: Unmarshal needs a non-nil pointer"}
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return &Error{Msg: "the document starts with a UTF-8 byte-order mark (U+FEFF), which is not allowed: save it as UTF-8 without a BOM"}
	}
	return unmarshalReference(data, rv)
}

// DirectAccepts reports whether the direct decoder alone decodes data into
// v (without the reference path).
func DirectAccepts(data []byte, v any) bool {
	return unmarshalDirect(data, reflect.ValueOf(v).Elem())
}
