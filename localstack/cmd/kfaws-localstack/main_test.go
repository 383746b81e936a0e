package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
)

// readEnv parses the export lines the command writes.
func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if !ok {
			t.Fatalf("env line %q is not export K=V", sc.Text())
		}
		env[k] = strings.Trim(v, "'")
	}
	return env
}

func TestRunServesSeededClusterUntilCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test on the local stack; run without -short")
	}
	envFile := filepath.Join(t.TempDir(), "stack.env")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--cluster", "cmd-demo", "--region", "eu-central-1", "--env-file", envFile}, &bytes.Buffer{}, &stderr)
	}()
	for {
		if _, err := os.Stat(envFile); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run ended before writing %s: %v\n%s", envFile, err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	env := readEnv(t, envFile)
	if env["AWS_REGION"] != "eu-central-1" || env["KFAWS_LOCALSTACK_CLUSTER"] != "cmd-demo" || env["AWS_EC2_METADATA_DISABLED"] != "true" {
		t.Errorf("env = %v", env)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(env["AWS_REGION"]), config.WithBaseEndpoint(env["AWS_ENDPOINT_URL"]),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], "")))
	if err != nil {
		t.Fatal(err)
	}
	out, err := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("cmd-demo")})
	if err != nil {
		t.Fatalf("seeded cluster not served: %v", err)
	}
	if n := len(out.Cluster.ResourcesVpcConfig.SubnetIds); n != 6 {
		t.Errorf("cluster has %d subnets, want 6", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

func TestEnvFileSourcesInShell(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	value := `it's $HOME "quoted"`
	if err := writeEnv(path, nil, []string{exportLine("KFAWS_TEST_VALUE", value)}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", `. "$1" && printf %s "$KFAWS_TEST_VALUE"`, "sh", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != value {
		t.Errorf("sourced value = %q, want %q", out, value)
	}
}
