//go:build !linux

package app

import "syscall"

func childAttrs() *syscall.SysProcAttr { return nil }
