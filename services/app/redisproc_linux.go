package app

import "syscall"

// childAttrs kills the redis-server child when this process dies without
// stopping it (SIGKILL, a crash): no orphan keeps the port and data dir.
func childAttrs() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
