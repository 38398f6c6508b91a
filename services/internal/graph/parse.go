package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
)

// errNullBody: kiota's JSON parse node is nil for a body of JSON null,
// and the SDK's proxy factory then dereferences it (a panic that would
// kill the process on one odd answer).
var errNullBody = errors.New("graph: response body is JSON null")

// safeParseNodes refuses bodies the SDK cannot parse safely and turns a
// panic while building the root parse node into an error.
type safeParseNodes struct{ absser.ParseNodeFactory }

func (f safeParseNodes) GetRootParseNode(contentType string, content []byte) (pn absser.ParseNode, err error) {
	if bytes.Equal(bytes.TrimSpace(content), []byte("null")) {
		return nil, errNullBody
	}
	defer func() {
		if v := recover(); v != nil {
			pn, err = nil, fmt.Errorf("graph: unparsable %s response: %v", contentType, v)
		}
	}()
	pn, err = f.ParseNodeFactory.GetRootParseNode(contentType, content)
	if err == nil && pn == nil {
		err = fmt.Errorf("graph: no parse node for %s response", contentType)
	}
	return pn, err
}

// errNoBody: a GET or POST that should return an object answered with
// none (204, an empty or scalar body). The SDK returns a nil model
// without an error, and every caller would dereference it.
var errNoBody = errors.New("graph: response has no object body")

// Send refuses a nil model for GET and POST; a PATCH answers 204 by
// design.
func (o localBackingStore) Send(ctx context.Context, info *abs.RequestInformation, f absser.ParsableFactory, em abs.ErrorMappings) (absser.Parsable, error) {
	res, err := o.GraphRequestAdapter.Send(ctx, info, f, em)
	if err == nil && res == nil && (info.Method == abs.GET || info.Method == abs.POST) {
		return nil, fmt.Errorf("%w: %s %s", errNoBody, info.Method.String(), info.UrlTemplate)
	}
	return res, err
}
