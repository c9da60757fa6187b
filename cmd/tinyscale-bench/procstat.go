package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat.
// Linux fixes it at 100 for user space on every architecture Go supports
// (sysconf(_SC_CLK_TCK)), and Go has no sysconf without cgo.
const clockTicks = 100

// cpuTime returns the user plus system CPU time a process has used, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks).
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// count the fields after its closing one.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// memory is a process's resident set, now and at its peak, in bytes, and
// its two parts: anonymous (heap, stacks) and file-backed (the binary's
// code and data, mapped files such as the state file).
type memory struct {
	RSS, Peak  int64
	Anon, File int64
}

// statusFields maps the fields read from /proc/<pid>/status to memory's.
var statusFields = map[string]func(*memory) *int64{
	"VmRSS":   func(m *memory) *int64 { return &m.RSS },
	"VmHWM":   func(m *memory) *int64 { return &m.Peak },
	"RssAnon": func(m *memory) *int64 { return &m.Anon },
	"RssFile": func(m *memory) *int64 { return &m.File },
}

// readMemory reads VmRSS, VmHWM, RssAnon and RssFile from /proc/<pid>/status.
func readMemory(pid int) (memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(line, ":")
		field := statusFields[k]
		if !ok || field == nil {
			continue
		}
		f := strings.Fields(v) // "12345 kB"
		if len(f) != 2 || f[1] != "kB" {
			return memory{}, fmt.Errorf("/proc/%d/status: %s: %q", pid, k, v)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("/proc/%d/status: %s: %v", pid, k, err)
		}
		*field(&m) = n << 10
	}
	if m.RSS == 0 {
		return memory{}, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
	}
	return m, nil
}

// mb is a byte count in megabytes (MiB), for the table.
func mb(n int64) float64 { return float64(n) / (1 << 20) }
