package localstack_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/localstack"
)

func TestStartWithoutMotoSaysHowToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	s, err := localstack.Start(context.Background(), localstack.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Start succeeded without moto_server on PATH")
	}
	if !errors.Is(err, localstack.ErrMotoMissing) || !strings.Contains(err.Error(), "pip install 'moto[server]'") {
		t.Errorf("error = %v, want the pip install hint", err)
	}
}

func TestAWSEnv(t *testing.T) {
	s := localstack.Shared(t)
	env := strings.Join(s.AWSEnv(), "\n")
	for _, want := range []string{"AWS_ENDPOINT_URL=" + s.Endpoint, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"} {
		if !strings.Contains(env, want) {
			t.Errorf("AWSEnv lacks %s:\n%s", want, env)
		}
	}
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") || !strings.HasPrefix(s.MySQLAddr, "127.0.0.1:") {
		t.Errorf("endpoint %q, mysql %q: want both on 127.0.0.1", s.Endpoint, s.MySQLAddr)
	}
}
