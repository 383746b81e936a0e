// Command up measures `kfaws up` against the reference script's sequential order, in one run on the local stack.
//
// Each round provisions two fresh installations (rds-s3, IRSA) with the same emulated RDS creation delay D and
// the same per-request latency on every AWS call: one with kfaws's step graph, one with the same steps run one by
// one in plan order, as the reference script does. It prints, per round and as medians: up/D (the aim is at most
// 1.15), the sum of the graph run's step times over D, sequential/D, and graph/sequential.
//
//	go run ./bench/up -delay 20s -rounds 3 -latency 100ms
//
// The RDS wait polls every D/60, the same share of D that kfaws's 15 s poll is of a 15-minute RDS creation.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
)

func main() {
	delay := flag.Duration("delay", 20*time.Second, "emulated RDS creation delay D")
	rounds := flag.Int("rounds", 3, "rounds (each runs the graph and the sequential order once)")
	latency := flag.Duration("latency", 100*time.Millisecond, "latency added to every AWS request, so API steps cost time as they do on AWS")
	flag.Parse()
	if err := run(*delay, *rounds, *latency); err != nil {
		fmt.Fprintln(os.Stderr, "bench/up:", err)
		os.Exit(1)
	}
}

func run(delay time.Duration, rounds int, latency time.Duration) error {
	ctx := context.Background()
	stack, err := localstack.Start(ctx, localstack.Options{RDSDelay: delay})
	if err != nil {
		return err
	}
	defer stack.Close()
	for _, svc := range []string{"sts", "ec2", "eks", "iam", "secretsmanager", "rds", "s3"} {
		if err := stack.InjectFault(svc+":*", proxy.FaultLatency, 1<<30, latency); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "kfaws-bench-up-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Printf("D = %s, latency %s per AWS request, %d round(s)\n", delay, latency, rounds)
	fmt.Printf("%-6s %10s %10s %10s %8s %10s %8s %8s\n", "round", "graph", "stepsum", "sequential", "graph/D", "stepsum/D", "seq/D", "graph/seq")
	var g, sum, seq []float64
	for i := range rounds {
		tg, ts, err := once(ctx, stack, dir, fmt.Sprintf("g%d", i), delay, false)
		if err != nil {
			return err
		}
		tq, _, err := once(ctx, stack, dir, fmt.Sprintf("s%d", i), delay, true)
		if err != nil {
			return err
		}
		d := delay.Seconds()
		g, sum, seq = append(g, tg.Seconds()/d), append(sum, ts.Seconds()/d), append(seq, tq.Seconds()/d)
		fmt.Printf("%-6d %10s %10s %10s %8.3f %10.3f %8.3f %8.3f\n", i+1, tg.Round(time.Millisecond), ts.Round(time.Millisecond),
			tq.Round(time.Millisecond), g[i], sum[i], seq[i], tg.Seconds()/tq.Seconds())
	}
	fmt.Printf("median: graph/D %.3f (aim <= 1.15), stepsum/D %.3f, sequential/D %.3f, graph/sequential %.3f\n",
		median(g), median(sum), median(seq), median(g)/median(seq))
	return nil
}

// once provisions one fresh installation and returns the wall time and the sum of its step times.
func once(ctx context.Context, stack *localstack.Stack, dir, id string, delay time.Duration, sequential bool) (time.Duration, time.Duration, error) {
	region := "us-west-2"
	cl, err := stack.SeedCluster(ctx, "bench-"+id, region)
	if err != nil {
		return 0, 0, err
	}
	c := config.New()
	c.Name, c.Cluster, c.Region, c.S3.Bucket = "bench-"+id, cl.Name, region, "bench-bucket-"+id
	c.RDS.InstanceName, c.RDS.SubnetGroupName, c.RDS.SecretName = "db-"+id, "sng-"+id, "rds-"+id
	c.RDS.MasterUsername, c.StateFile = "adm"+id, filepath.Join(dir, id+".json")
	c.Default()
	if err := c.Validate(); err != nil {
		return 0, 0, err
	}
	awsCfg, err := stack.AWSConfig(ctx, region)
	if err != nil {
		return 0, 0, err
	}
	st, err := state.Open(c.StatePath())
	if err != nil {
		return 0, 0, err
	}
	rep := &stepTimes{}
	up := &operation.Up{
		Configuration: &operation.Configuration{Config: c, AWS: kaws.NewClients(awsCfg), State: st},
		Reporter:      rep, PollInterval: delay / 60, Sequential: sequential,
	}
	start := time.Now()
	if _, err := up.Run(ctx); err != nil {
		return 0, 0, err
	}
	return time.Since(start), rep.sum, nil
}

// stepTimes adds up the time of every finished step.
type stepTimes struct {
	mu  sync.Mutex
	sum time.Duration
}

func (s *stepTimes) Start(plan.Step)            {}
func (s *stepTimes) Progress(plan.Step, string) {}
func (s *stepTimes) Done(_ plan.Step, _ error, d time.Duration) {
	s.mu.Lock()
	s.sum += d
	s.mu.Unlock()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
