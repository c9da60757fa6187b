//go:build !linux

package main

import "syscall"

// sysProcAttr: only Linux can tie a child's life to its parent's.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// raiseFileLimit is left to the Go runtime off Linux.
func raiseFileLimit() {}
