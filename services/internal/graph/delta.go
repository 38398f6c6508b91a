package graph

import (
	"context"
	"fmt"
	"strconv"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// DeltaRequest starts a delta query (Link empty) or continues one from a
// saved @odata.nextLink or @odata.deltaLink.
type DeltaRequest struct {
	// Select applies only when starting; Graph keeps it in the links.
	Select []string
	Link   string
	// PageSize asks for at most this many objects per page (Prefer:
	// odata.maxpagesize); 0 is Graph's default.
	PageSize int
}

// DeltaPage is one page of a delta query. Exactly one of NextLink and
// DeltaLink is set: NextLink means more pages follow in this round;
// DeltaLink is the watermark for the next round.
type DeltaPage[T any] struct {
	Objects   []T
	Removed   []Removed
	NextLink  string
	DeltaLink string
}

func (r DeltaRequest) headers() *abs.RequestHeaders {
	h := abs.NewRequestHeaders()
	if r.PageSize > 0 {
		h.Add("Prefer", "odata.maxpagesize="+strconv.Itoa(r.PageSize))
	}
	return h
}

// UsersDeltaPage reads one page of /users/delta. An expired link fails with
// an error matching ErrDeltaExpired. Select "manager" to get each user's
// manager changes in User.Manager (manager@delta).
func (c *Client) UsersDeltaPage(ctx context.Context, r DeltaRequest) (DeltaPage[User], error) {
	b := c.sdk.Users().Delta()
	cfg := &users.DeltaRequestBuilderGetRequestConfiguration{Headers: r.headers()}
	if r.Link != "" {
		b = b.WithUrl(r.Link)
	} else {
		cfg.QueryParameters = &users.DeltaRequestBuilderGetQueryParameters{Select: r.Select}
	}
	info, err := b.ToGetRequestInformation(ctx, cfg)
	if err != nil {
		return DeltaPage[User]{}, fmt.Errorf("users delta: %w", err)
	}
	body, err := c.sendRaw(ctx, info, nil) // objects' Raw point into the body
	if err != nil {
		return DeltaPage[User]{}, wrap("users delta", err)
	}
	page, err := decodeDelta(body, userOfJSON)
	if err != nil {
		return DeltaPage[User]{}, wrap("users delta", err)
	}
	return page, nil
}

// GroupsDeltaPage reads one page of /groups/delta. Membership changes are
// in each Group's Members (members@delta); select "members" to get them.
func (c *Client) GroupsDeltaPage(ctx context.Context, r DeltaRequest) (DeltaPage[Group], error) {
	b := c.sdk.Groups().Delta()
	cfg := &groups.DeltaRequestBuilderGetRequestConfiguration{Headers: r.headers()}
	if r.Link != "" {
		b = b.WithUrl(r.Link)
	} else {
		cfg.QueryParameters = &groups.DeltaRequestBuilderGetQueryParameters{Select: r.Select}
	}
	info, err := b.ToGetRequestInformation(ctx, cfg)
	if err != nil {
		return DeltaPage[Group]{}, fmt.Errorf("groups delta: %w", err)
	}
	body, err := c.sendRaw(ctx, info, nil) // objects' Raw point into the body
	if err != nil {
		return DeltaPage[Group]{}, wrap("groups delta", err)
	}
	page, err := decodeDelta(body, groupOfJSON)
	if err != nil {
		return DeltaPage[Group]{}, wrap("groups delta", err)
	}
	return page, nil
}

// UsersDelta runs one delta round to its end, calling fn per page, and
// returns the new deltaLink. fn sees the page before the next is fetched,
// so a reader can queue it durably first.
func (c *Client) UsersDelta(ctx context.Context, r DeltaRequest, fn func(DeltaPage[User]) error) (string, error) {
	return deltaRound(ctx, r, c.UsersDeltaPage, fn)
}

// GroupsDelta is UsersDelta for groups.
func (c *Client) GroupsDelta(ctx context.Context, r DeltaRequest, fn func(DeltaPage[Group]) error) (string, error) {
	return deltaRound(ctx, r, c.GroupsDeltaPage, fn)
}

func deltaRound[T any](ctx context.Context, r DeltaRequest,
	get func(context.Context, DeltaRequest) (DeltaPage[T], error), fn func(DeltaPage[T]) error) (string, error) {
	seen := map[string]bool{}
	for {
		page, err := get(ctx, r)
		if err != nil {
			return "", err
		}
		if err := fn(page); err != nil {
			return "", err
		}
		if page.DeltaLink != "" {
			return page.DeltaLink, nil
		}
		if page.NextLink == "" {
			return "", fmt.Errorf("delta page has neither nextLink nor deltaLink")
		}
		if seen[page.NextLink] || page.NextLink == r.Link {
			return "", fmt.Errorf("delta: %w", ErrLinkLoop)
		}
		seen[page.NextLink] = true
		r = DeltaRequest{Link: page.NextLink, PageSize: r.PageSize}
	}
}
