package graph

import (
	"context"
	"net/url"
	"strings"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// SendRawForTest sends body verbatim (e.g. malformed JSON, which no SDK
// model can produce) through the same adapter, middleware and auth as
// every other call.
func (c *Client) SendRawForTest(ctx context.Context, method abs.HttpMethod, path string, body []byte) error {
	u, err := url.Parse(strings.TrimSuffix(c.cfg.GraphURL, "/") + path)
	if err != nil {
		return err
	}
	info := abs.NewRequestInformation()
	info.Method = method
	info.SetUri(*u)
	info.Content = body
	info.Headers.Add("Content-Type", "application/json")
	err = c.adapter.SendNoContent(ctx, info, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	return wrap("send raw", err)
}
