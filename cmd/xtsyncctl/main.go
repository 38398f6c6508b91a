// Command xtsyncctl is the admin and SRE command line for xtsync. Today it
// tests attribute-mapping expressions offline; the configuration, job and
// log commands talk to the gRPC API once it exists.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "xtsyncctl:", err)
		os.Exit(1)
	}
}
