//go:build !linux

package consulagent

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
