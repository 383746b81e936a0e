//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConfigFile runs `kfaws plan --config FILE` through the real root command on arbitrary files, with the AWS
// endpoint at a listener the test owns. Whatever the file holds, kfaws does not panic, and a file refused as bad
// input (exit 2) is refused with a message before any connection to AWS.
//
//	go test ./internal/cli -run '^$' -fuzz FuzzConfigFile -fuzztime 60s
func FuzzConfigFile(f *testing.F) {
	seeds, _ := filepath.Glob("../config/testdata/invalid/*.yaml")
	seeds = append(seeds, "../config/testdata/valid.yaml")
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{"", "...\n", "---\n---\n", "{}", "[]", "apiVersion: kfaws.dev/v1alpha1\nkind: Installation\n",
		"apiVersion: kfaws.dev/v1alpha1\nkind: Installation\nrds: &a {x: *a}\n", "a: &a [*a]\n", "\xef\xbb\xbfapiVersion: x\n"} {
		f.Add([]byte(s))
	}
	isolateAWS(f, "http://127.0.0.1:1") // each input gets its own listener below
	dir := f.TempDir()
	f.Chdir(dir)
	path := filepath.Join(dir, "kfaws.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		trap := newAWSTrap(t)
		os.Setenv("AWS_ENDPOINT_URL", trap.url()) // isolateAWS restores it after the run
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := runTrapped(trap, "plan", "--config", path)
		if code != ExitUsage {
			return
		}
		if n := trap.conns.Load(); n != 0 {
			t.Fatalf("exit 2 after %d connection(s) to AWS; stderr:\n%s", n, errOut)
		}
		if !strings.HasPrefix(errOut, "error: ") || len(errOut) > 64<<10 {
			t.Fatalf("a refusal without a bounded message (%d bytes):\n%.2000s", len(errOut), errOut)
		}
	})
}
