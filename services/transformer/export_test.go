package transformer

import "context"

// SetAfterPublish installs a hook between the publish acks and the input's
// ack (tests simulate a crash there).
func SetAfterPublish(t *Transformer, f func(ctx context.Context, msgID string) error) {
	t.afterPublish = f
}
