package state

import (
	"fmt"
	"os"
	"strings"
)

// processStart is the start time of process pid as Linux's /proc reports it (field 22 of /proc/PID/stat, clock
// ticks after boot), "" where there is no such file.
func processStart(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces; count fields after its closing one.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19]
}
