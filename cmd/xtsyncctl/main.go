// Command xtsyncctl is the admin and SRE command line for xtsync: it tests
// expressions and rules offline, and manages configurations, jobs and logs
// through the gRPC API (SchedulerService, SynclogService).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Ctrl-C ends a watch or a tail cleanly instead of killing mid-write.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "xtsyncctl:", err)
		os.Exit(1)
	}
}
