package main

import "syscall"

// sysProcAttr makes a child process die with the benchmark, so that an
// interrupted run leaves no tinyscale or ceiling server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// raiseFileLimit lifts the soft limit on open files to the hard one: 500
// fake servers, their connections and the load generator's need thousands.
// Set explicitly (rather than relying on the Go runtime's own raise), the
// limit is inherited by the children too.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
