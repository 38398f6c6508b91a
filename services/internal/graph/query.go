package graph

import (
	"context"
	"errors"
	"fmt"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
)

// Query narrows a list call. Zero values mean Graph's defaults.
type Query struct {
	Select []string
	Filter string
	// Top is the page size (Graph allows up to 999 for users and groups).
	Top int
	// Advanced sends ConsistencyLevel: eventual, which Graph requires for
	// advanced filters (endsWith, $count, ne on some properties).
	Advanced bool
}

func (q Query) top() *int32 {
	if q.Top <= 0 {
		return nil
	}
	t := int32(min(q.Top, 999))
	return &t
}

func (q Query) filter() *string {
	if q.Filter == "" {
		return nil
	}
	return &q.Filter
}

func (q Query) headers() *abs.RequestHeaders {
	h := abs.NewRequestHeaders()
	if q.Advanced {
		h.Add("ConsistencyLevel", "eventual")
	}
	return h
}

// Stop may be returned by a List callback to end the listing early, without
// an error.
var Stop = errors.New("graph: stop listing")

func init() {
	// The page iterator looks up its error factory in this registry;
	// msgraph-sdk-go registers none, so without this a failed next page is
	// an untyped ApiError without Graph's code and message.
	_ = msgraphgocore.RegisterError(msgraphgocore.PageIteratorErrorRegistryKey, odataErrorMapping)
}

// iterate walks every page of first with the SDK's page iterator, calling
// fn on each item. headers are resent on every next-page request.
func iterate[T any](ctx context.Context, c *Client, first absser.Parsable, factory absser.ParsableFactory,
	headers *abs.RequestHeaders, fn func(T) error) (err error) {
	// The SDK's page iterator asserts every entry of "value" to T and
	// panics on a null one ({"value":[null]}, FuzzHostileGraphResponses);
	// that is an unreadable page, not a crash. A panic of fn is fn's.
	inFn := false
	defer func() {
		if v := recover(); v != nil {
			if inFn {
				panic(v)
			}
			err = fmt.Errorf("graph: unreadable page: %v", v)
		}
	}()
	// The iterator follows @odata.nextLink through this adapter; a link
	// seen before in the listing would page forever.
	guard := &linkGuard{RequestAdapter: c.adapter, seen: map[string]bool{}}
	it, err := msgraphgocore.NewPageIterator[T](first, guard, factory)
	if err != nil {
		return fmt.Errorf("create page iterator: %w", err)
	}
	if headers != nil {
		it.SetHeaders(headers)
	}
	var cbErr error
	err = it.Iterate(ctx, func(item T) bool {
		inFn = true
		cbErr = fn(item)
		inFn = false
		return cbErr == nil
	})
	if err != nil {
		return mapError(err)
	}
	if cbErr != nil && !errors.Is(cbErr, Stop) {
		return cbErr
	}
	return nil
}

// eachUser pages through a user collection response, converting each model
// to a User (only the selected properties) before calling fn.
func eachUser(ctx context.Context, c *Client, first absser.Parsable, q Query, fn func(User) error) error {
	return iterate(ctx, c, first, models.CreateUserCollectionResponseFromDiscriminatorValue, q.headers(),
		func(m models.Userable) error {
			u, err := userFromModel(m, q.Select...)
			if err != nil {
				return err
			}
			return fn(u)
		})
}

// eachGroup is eachUser for groups.
func eachGroup(ctx context.Context, c *Client, first absser.Parsable, q Query, fn func(Group) error) error {
	return iterate(ctx, c, first, models.CreateGroupCollectionResponseFromDiscriminatorValue, q.headers(),
		func(m models.Groupable) error {
			g, err := groupFromModel(m, q.Select...)
			if err != nil {
				return err
			}
			return fn(g)
		})
}

// linkGuard refuses to fetch a page whose URL it already fetched.
type linkGuard struct {
	abs.RequestAdapter
	seen map[string]bool
}

func (g *linkGuard) Send(ctx context.Context, info *abs.RequestInformation, f absser.ParsableFactory, em abs.ErrorMappings) (absser.Parsable, error) {
	u, err := info.GetUri()
	if err != nil {
		return nil, fmt.Errorf("next page: %w", err)
	}
	if g.seen[u.String()] {
		return nil, fmt.Errorf("%w: %s", ErrLinkLoop, u.Redacted())
	}
	g.seen[u.String()] = true
	return g.RequestAdapter.Send(ctx, info, f, em)
}
