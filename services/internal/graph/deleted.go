package graph

import (
	"context"
	"fmt"

	"github.com/microsoftgraph/msgraph-sdk-go/directory"
)

// ListDeletedUsers calls fn for every soft-deleted user
// (/directory/deletedItems/microsoft.graph.user), which can still be
// restored.
func (c *Client) ListDeletedUsers(ctx context.Context, q Query, fn func(User) error) error {
	resp, err := c.sdk.Directory().DeletedItems().GraphUser().Get(ctx,
		&directory.DeletedItemsGraphUserRequestBuilderGetRequestConfiguration{
			Headers: q.headers(),
			QueryParameters: &directory.DeletedItemsGraphUserRequestBuilderGetQueryParameters{
				Select: q.Select, Filter: q.filter(), Top: q.top(),
			},
		})
	if err != nil {
		return wrap("list deleted users", err)
	}
	err = eachUser(ctx, c, resp, q, fn)
	if err != nil {
		return fmt.Errorf("list deleted users: %w", err)
	}
	return nil
}

// ListDeletedGroups calls fn for every soft-deleted group.
func (c *Client) ListDeletedGroups(ctx context.Context, q Query, fn func(Group) error) error {
	resp, err := c.sdk.Directory().DeletedItems().GraphGroup().Get(ctx,
		&directory.DeletedItemsGraphGroupRequestBuilderGetRequestConfiguration{
			Headers: q.headers(),
			QueryParameters: &directory.DeletedItemsGraphGroupRequestBuilderGetQueryParameters{
				Select: q.Select, Filter: q.filter(), Top: q.top(),
			},
		})
	if err != nil {
		return wrap("list deleted groups", err)
	}
	err = eachGroup(ctx, c, resp, q, fn)
	if err != nil {
		return fmt.Errorf("list deleted groups: %w", err)
	}
	return nil
}

// Restore brings a soft-deleted user or group back and returns its
// attributes as Graph answers them.
func (c *Client) Restore(ctx context.Context, id string) (Attributes, error) {
	m, err := c.sdk.Directory().DeletedItems().ByDirectoryObjectId(id).Restore().Post(ctx, nil)
	if err != nil {
		return nil, wrap("restore "+id, err)
	}
	if m == nil {
		return Attributes{"id": id}, nil
	}
	return attributesOf(m)
}

// PermanentlyDelete removes a soft-deleted object for good; it cannot be
// restored afterwards and leaves user delta as @removed "deleted".
func (c *Client) PermanentlyDelete(ctx context.Context, id string) error {
	if err := c.sdk.Directory().DeletedItems().ByDirectoryObjectId(id).Delete(ctx, nil); err != nil {
		return wrap("permanently delete "+id, err)
	}
	return nil
}
