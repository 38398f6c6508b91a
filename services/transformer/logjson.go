package transformer

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/xtsync/xtsync/pkg/rules/decide"
)

// appendLogJSON appends json.Marshal(l) to dst without reflection: every
// intent carries its provisioning log, and encoding/json's reflective
// walk of it was a tenth of the transformer's CPU. FuzzLogJSON holds the
// output to encoding/json's, byte for byte.
func appendLogJSON(dst []byte, l *decide.Log) []byte {
	dst = append(dst, `{"provisioningAction":`...)
	dst = appendJSONString(dst, string(l.Action))
	dst = append(dst, `,"status":`...)
	dst = appendJSONString(dst, string(l.Status))
	if l.Code != "" {
		dst = append(dst, `,"errorCode":`...)
		dst = appendJSONString(dst, l.Code)
	}
	if l.Reason != "" {
		dst = append(dst, `,"reason":`...)
		dst = appendJSONString(dst, l.Reason)
	}
	dst = append(dst, `,"provisioningSteps":`...)
	if l.Steps == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range l.Steps {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendStepJSON(dst, &l.Steps[i])
		}
		dst = append(dst, ']')
	}
	if len(l.Modified) > 0 {
		dst = append(dst, `,"modifiedProperties":[`...)
		for i, m := range l.Modified {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"displayName":`...)
			dst = appendJSONString(dst, m.DisplayName)
			dst = append(dst, `,"oldValue":`...)
			dst = appendJSONString(dst, m.OldValue)
			dst = append(dst, `,"newValue":`...)
			dst = appendJSONString(dst, m.NewValue)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if l.Deferred {
		dst = append(dst, `,"deferred":true`...)
	}
	if l.Continues {
		dst = append(dst, `,"continues":true`...)
	}
	return append(dst, '}')
}

func appendStepJSON(dst []byte, s *decide.Step) []byte {
	dst = append(dst, `{"provisioningStepType":`...)
	dst = appendJSONString(dst, string(s.Type))
	dst = append(dst, `,"name":`...)
	dst = appendJSONString(dst, s.Name)
	dst = append(dst, `,"status":`...)
	dst = appendJSONString(dst, string(s.Status))
	dst = append(dst, `,"description":`...)
	dst = appendJSONString(dst, s.Description)
	if len(s.Details) > 0 {
		dst = append(dst, `,"details":{`...)
		for i, k := range slices.Sorted(maps.Keys(s.Details)) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, s.Details[k])
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// appendJSONString appends s as encoding/json writes it. Printable ASCII
// other than its HTML-escaped <, > and & is written here; any other
// string goes through encoding/json (its escapes differ between versions
// and for invalid UTF-8).
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', c)
			start = i + 1
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
