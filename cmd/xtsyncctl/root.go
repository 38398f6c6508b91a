package main

import (
	"os"

	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	g := &globalOpts{}
	root := &cobra.Command{
		Use:           "xtsyncctl",
		Short:         "Administer xtsync cross-tenant synchronization",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return g.check()
		},
	}
	g.register(root, os.Getenv)
	root.AddCommand(newExprCmd(g), newRulesCmd(),
		newConfigCmd(g), newJobCmd(g), newProvisionCmd(g), newLogsCmd(g), newAuditCmd(g))
	return root
}
