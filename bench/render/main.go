// Command render measures `kfaws render --build` against the pinned kustomize CLI building the same two upstream
// entry points (`kustomize build <pipeline entry>`, then `kustomize build <katib entry>`), which is the work
// render has to do, in one run.
//
// Each round runs both sides once, alternating which goes first; one unmeasured warm-up of each comes first, so
// both read the tree from the page cache (and kfaws's staged copy of a -git-mirror is in its cache, as the
// baseline's is made before timing). It prints per round and min/median/max of wall time and of CPU time
// (user+system from rusage, summed over kustomize's two processes), and the ratio of medians kfaws/kustomize;
// the aim is at most 1.1 of wall time.
//
//	go run ./bench/render -manifests ~/src/manifests -rounds 5
//
// The default tree is a small synthetic one from internal/render/testdata; real Kubeflow manifests give the
// meaningful figure. Remote bases are built from -git-mirror on both sides: kfaws gets --git-mirror (it stages a
// small copy of each mirror, kept in its cache), kustomize a GIT_CONFIG_* url.insteadOf rewrite to a copy staged
// the same way before timing (-stage-baseline=false: to the mirror itself, whose whole tree kustomize then checks
// out once per remote base).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kfaws/kfaws/internal/render/detect"
)

type mirrorFlags []string

func (m *mirrorFlags) String() string     { return strings.Join(*m, ",") }
func (m *mirrorFlags) Set(v string) error { *m = append(*m, v); return nil }

type options struct {
	manifests   string
	rounds      int
	kfaws       string
	kustomize   string
	option      string
	credentials string
	mirrors     mirrorFlags
	stage       bool
}

func main() {
	var o options
	flag.StringVar(&o.manifests, "manifests", filepath.Join("internal", "render", "testdata", "trees", "v1.10"),
		"Kubeflow manifests checkout (default: a synthetic tree; real trees give the meaningful figure)")
	flag.IntVar(&o.rounds, "rounds", 5, "measured rounds (each runs both sides once)")
	flag.StringVar(&o.kfaws, "kfaws", "", "kfaws binary (default: built from this checkout)")
	flag.StringVar(&o.kustomize, "kustomize", "", "kustomize binary (default: hack/kustomize.sh, the pinned release)")
	flag.StringVar(&o.option, "option", "rds-s3", "kfaws --option")
	flag.StringVar(&o.credentials, "s3-credentials", "static", "kfaws --s3-credentials (static renders on every release)")
	flag.Var(&o.mirrors, "git-mirror", "URL=DIR for remote kustomize bases, for both sides (repeatable)")
	flag.BoolVar(&o.stage, "stage-baseline", true, "give kustomize a copy of each mirror holding only the directories the remote bases use, made before timing")
	flag.Parse()
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/render:", err)
		os.Exit(1)
	}
}

func run(o options, out io.Writer) error {
	if o.rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}
	manifests, err := filepath.Abs(o.manifests)
	if err != nil {
		return err
	}
	l, err := detect.Detect(manifests)
	if err != nil {
		return err
	}
	remote, err := detect.RemoteBases(os.DirFS(l.Root), l.PipelineEntry, l.KatibEntry)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "kfaws-bench-render-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if o.kfaws == "" {
		if o.kfaws, err = buildKfaws(work); err != nil {
			return err
		}
	}
	if o.kustomize == "" {
		if o.kustomize, err = pinnedKustomize(); err != nil {
			return err
		}
	}
	if len(remote) > 0 && len(o.mirrors) == 0 {
		return fmt.Errorf("%s has remote bases (%s); pass -git-mirror URL=DIR for each repository", l.Root, remote[0].URL)
	}
	baseline := []string(o.mirrors)
	if o.stage && len(remote) > 0 {
		if baseline, err = stageBaseline(remote, o.mirrors, work); err != nil {
			return err
		}
	}
	k := &kfawsSide{bin: o.kfaws, dir: work, args: kfawsArgs(l.Root, o, filepath.Join(work, "kfaws.yaml"))}
	b := &kustomizeSide{bin: o.kustomize, dir: work, env: gitEnv(baseline),
		entries: []string{filepath.Join(l.Root, l.PipelineEntry), filepath.Join(l.Root, l.KatibEntry)}}

	fmt.Fprintf(out, "tree: %s (release %s, KFP %s, Katib %s), %d remote base(s)\n", l.Root, l.Release,
		l.KFPVersion, l.KatibVersion, len(remote))
	fmt.Fprintf(out, "kfaws:     %s %s\n", o.kfaws, strings.Join(k.args, " "))
	fmt.Fprintf(out, "kustomize: %s build %s; %s build %s\n", o.kustomize, l.PipelineEntry, o.kustomize, l.KatibEntry)
	if len(remote) > 0 {
		fmt.Fprintf(out, "kustomize's git mirrors: %s\n", strings.Join(baseline, " "))
	}
	if _, err := k.run(); err != nil { // warm-up: page cache, and kfaws's mirror staging path
		return err
	}
	if _, err := b.run(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%-6s %12s %12s %12s %12s %8s\n", "round", "kfaws wall", "kust. wall", "kfaws cpu", "kust. cpu", "wall k/b")
	var kw, bw, kc, bc []float64
	for i := range o.rounds {
		var km, bm sample
		if i%2 == 0 {
			km, err = k.run()
			if err == nil {
				bm, err = b.run()
			}
		} else {
			bm, err = b.run()
			if err == nil {
				km, err = k.run()
			}
		}
		if err != nil {
			return err
		}
		kw, bw = append(kw, km.wall.Seconds()), append(bw, bm.wall.Seconds())
		kc, bc = append(kc, km.cpu.Seconds()), append(bc, bm.cpu.Seconds())
		fmt.Fprintf(out, "%-6d %12s %12s %12s %12s %8.3f\n", i+1, ms(km.wall), ms(bm.wall), ms(km.cpu), ms(bm.cpu),
			km.wall.Seconds()/bm.wall.Seconds())
	}
	fmt.Fprintf(out, "wall min/median/max: kfaws %s, kustomize %s\n", stats(kw), stats(bw))
	fmt.Fprintf(out, "cpu  min/median/max: kfaws %s, kustomize %s\n", stats(kc), stats(bc))
	fmt.Fprintf(out, "ratio of medians kfaws/kustomize: wall %.3f (aim <= 1.1), cpu %.3f\n",
		median(kw)/median(bw), median(kc)/median(bc))
	return nil
}

// kfawsArgs renders with values for every option, so no config or state file is needed.
func kfawsArgs(root string, o options, build string) []string {
	args := []string{"render", "--manifests", root, "--option", o.option, "--s3-credentials", o.credentials,
		"--region", "us-west-2", "--cluster", "bench", "--bucket", "kfaws-bench-artifacts",
		"--db-host", "kubeflow-db.abcdefghij.us-west-2.rds.amazonaws.com",
		"--secrets-role-arn", "arn:aws:iam::123456789012:role/bench-secrets",
		"--backend-role-arn", "arn:aws:iam::123456789012:role/bench-backend",
		"--profile-role-arn", "arn:aws:iam::123456789012:role/bench-profile", "--build", build}
	for _, m := range o.mirrors {
		args = append(args, "--git-mirror", m)
	}
	return args
}

// gitEnv gives kustomize's git the same mirrors through url.<mirror>.insteadOf, and never a prompt.
func gitEnv(mirrors []string) []string {
	env := []string{"GIT_TERMINAL_PROMPT=0"}
	n := 0
	for _, m := range mirrors {
		url, dir, _ := strings.Cut(m, "=")
		url = strings.TrimSuffix(strings.TrimSuffix(url, "/"), ".git")
		if abs, err := filepath.Abs(dir); err == nil {
			dir = "file://" + abs
		}
		for _, from := range []string{url, url + ".git"} {
			env = append(env, "GIT_CONFIG_KEY_"+strconv.Itoa(n)+"=url."+dir+".insteadOf",
				"GIT_CONFIG_VALUE_"+strconv.Itoa(n)+"="+from)
			n++
		}
	}
	return append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(n))
}

type sample struct{ wall, cpu time.Duration }

type kfawsSide struct {
	bin, dir string
	args     []string
}

func (s *kfawsSide) run() (sample, error) {
	return runCmd(s.dir, nil, io.Discard, s.bin, s.args...)
}

type kustomizeSide struct {
	bin, dir string
	env      []string
	entries  []string
}

// run builds the entry points one after the other, each to a file as kfaws writes its build.
func (s *kustomizeSide) run() (sample, error) {
	var total sample
	for i, entry := range s.entries {
		f, err := os.Create(filepath.Join(s.dir, "kustomize-"+strconv.Itoa(i)+".yaml"))
		if err != nil {
			return total, err
		}
		m, err := runCmd(s.dir, s.env, f, s.bin, "build", entry)
		f.Close()
		if err != nil {
			return total, err
		}
		total.wall += m.wall
		total.cpu += m.cpu
	}
	return total, nil
}

// runCmd runs one process and measures its wall time and its CPU time (user+system).
func runCmd(dir string, env []string, stdout io.Writer, bin string, args ...string) (sample, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = stdout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	var cpu time.Duration
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return sample{wall: wall, cpu: cpu}, nil
}

// buildKfaws builds cmd/kfaws of this checkout into dir.
func buildKfaws(dir string) (string, error) {
	bin := filepath.Join(dir, "kfaws")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kfaws")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building kfaws (run from the repository root, or pass -kfaws): %w\n%s", err, out)
	}
	return bin, nil
}

// pinnedKustomize builds or finds the pinned kustomize with hack/kustomize.sh.
func pinnedKustomize() (string, error) {
	cmd := exec.Command(filepath.Join("hack", "kustomize.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/kustomize.sh (run from the repository root, or pass -kustomize): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

func stats(xs []float64) string {
	s := slices.Sorted(slices.Values(xs))
	f := func(x float64) string { return ms(time.Duration(x * float64(time.Second))) }
	return f(s[0]) + "/" + f(median(xs)) + "/" + f(s[len(s)-1])
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
