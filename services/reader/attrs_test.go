package reader_test

import (
	"encoding/json"
	"testing"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
)

// attrsOf decodes a change's attributes_json.
func attrsOf(t testing.TB, c *eventsv1.SourceChange) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.GetAttributesJson(), &m); err != nil {
		t.Fatalf("attributes of %s: %v", c.GetObject().GetObjectId(), err)
	}
	return m
}

// attrString is a string attribute, "" when absent or not a string.
func attrString(t testing.TB, c *eventsv1.SourceChange, name string) string {
	t.Helper()
	s, _ := attrsOf(t, c)[name].(string)
	return s
}
