package secret_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xtsync/xtsync/pkg/secret"
)

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	const value = "hunter2-very-secret"
	s := secret.Secret(value)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("cfg", "password", s)
	js, err := json.Marshal(struct{ P secret.Secret }{s})
	require.NoError(t, err)
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var fromFlag secret.Secret
	fs.Var(secret.Flag(&fromFlag), "password", "")
	require.NoError(t, fs.Parse([]string{"-password", value}))

	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%#v": fmt.Sprintf("%#v", s),
		"struct %+v": fmt.Sprintf("%+v", struct{ P secret.Secret }{s}),
		"slog":       logs.String(), "json": string(js), "flag": fs.Lookup("password").Value.String(),
	} {
		require.NotContains(t, out, value, name)
		require.Contains(t, out, secret.Redacted, name)
	}
	require.Equal(t, value, s.Reveal())
	require.Equal(t, value, fromFlag.Reveal())
	require.Empty(t, secret.Secret("").String(), "an unset secret stays visibly unset")
}
