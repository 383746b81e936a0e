package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kfaws/kfaws/localstack"
)

// CPU time tells the two sides apart on a shared machine, where wall time follows other processes' load: the
// seconds each server spent (from /proc) and the client's (the bench's own for dbcopy, the mysqldump | mysql
// pipeline's for the baseline).

// serverCPU is the user+system CPU time a local MariaDB has used so far, read from /proc/PID/stat (its pid file
// sits beside its socket).
func serverCPU(m *localstack.MariaDB) (time.Duration, error) {
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(m.Socket()), "mysqld.pid"))
	if err != nil {
		return 0, err
	}
	stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(raw)) + "/stat")
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which ends at the last ')'): state is field 3, utime 14, stime 15.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc stat: %q", stat)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc stat: %q", stat)
	}
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// selfCPU is the CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter measures the CPU time of the source and destination servers from start on.
type cpuMeter struct {
	src, dst     *localstack.MariaDB
	srcAt, dstAt time.Duration
}

// serversCPU is what each server used since start.
type serversCPU struct{ src, dst time.Duration }

func (c serversCPU) String() string {
	return fmt.Sprintf("source %s, destination %s", c.src.Round(10*time.Millisecond), c.dst.Round(10*time.Millisecond))
}

func (c *cpuMeter) read() (src, dst time.Duration, err error) {
	if src, err = serverCPU(c.src); err == nil {
		dst, err = serverCPU(c.dst)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("reading the CPU time of a MariaDB server: %w", err)
	}
	return src, dst, nil
}

func (c *cpuMeter) start() error {
	var err error
	c.srcAt, c.dstAt, err = c.read()
	return err
}

func (c *cpuMeter) since() (serversCPU, error) {
	src, dst, err := c.read()
	return serversCPU{src - c.srcAt, dst - c.dstAt}, err
}
