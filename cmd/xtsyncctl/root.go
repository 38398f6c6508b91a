package main

import "github.com/spf13/cobra"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "xtsyncctl",
		Short:         "Administer xtsync cross-tenant synchronization",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newExprCmd(), newRulesCmd())
	return root
}
