package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/xtsync/xtsync/pkg/rules"
	"github.com/xtsync/xtsync/pkg/rules/spec"
)

// newRulesCmd checks a configuration's rules offline, listing every problem
// with its field path, before it is sent to the API.
func newRulesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "rules", Short: "Work with sync rules (scoping, mappings, matching)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Validate a rules file (YAML or JSON; - for stdin) and list every problem",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := loadRules(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			if err := r.Validate(); err != nil {
				var fe rules.FieldErrors
				if errors.As(err, &fe) {
					for _, e := range fe {
						fmt.Fprintln(cmd.OutOrStdout(), e.Error())
					}
					return fmt.Errorf("%s: %d problem(s)", args[0], len(fe))
				}
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (deletion threshold %d)\n", args[0], r.DeletionThreshold())
			return err
		},
	})
	return cmd
}

// loadRules reads YAML or JSON. YAML is converted to JSON first so that the
// strict JSON decoder (unknown fields are errors) applies to both.
func loadRules(path string, stdin io.Reader) (*spec.Rules, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, spec.MaxConfigSize+1))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	trimmed := bytes.TrimSpace(data)
	isJSON := strings.EqualFold(filepath.Ext(path), ".json") || (len(trimmed) > 0 && trimmed[0] == '{')
	if !isJSON {
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("parse YAML %s: %w", path, err)
		}
		if data, err = json.Marshal(doc); err != nil {
			return nil, fmt.Errorf("convert YAML %s: %w", path, err)
		}
	}
	r, err := spec.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
