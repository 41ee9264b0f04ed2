package reql

import "context"

// RawGetter is implemented by table stores that can return, with a
// document, the JSON it is stored as: the encoding of the document
// (MarshalJSON), which a query returning the document unchanged sends as
// it is instead of encoding the document again.
type RawGetter interface {
	// GetRaw is Get that also returns the stored JSON (nil when the
	// document is absent). The slice must never be modified. Without
	// decode, only the JSON is returned (doc is nil).
	GetRaw(ctx context.Context, key any, decode bool) (doc map[string]any, raw []byte, err error)
}

// getDoc reads a document, with its stored JSON when the store has it;
// without decode, a store that has the JSON may return only that.
func getDoc(ctx context.Context, ts TableStore, key any, decode bool) (map[string]any, []byte, error) {
	if rg, ok := ts.(RawGetter); ok {
		return rg.GetRaw(ctx, key, decode)
	}
	doc, err := ts.Get(ctx, key)
	return doc, nil, err
}
