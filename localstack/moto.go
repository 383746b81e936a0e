package localstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"time"
)

// ErrMotoMissing is returned by Start when moto_server is not on PATH.
var ErrMotoMissing = errors.New("moto_server not found; install it with: pip install 'moto[server]'")

// motoEnv makes moto behave like AWS where its default does not: S3 answers 403 to an account that asks for
// another account's bucket (moto lets any account use any bucket unless told otherwise).
var motoEnv = []string{"MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS=false"}

// startMoto runs moto_server on a free port of 127.0.0.1 and waits until it
// answers HTTP. It returns the process and moto's base URL.
func startMoto(ctx context.Context, dir string) (*process, string, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, "", ErrMotoMissing
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		p, err := startProcessEnv("moto_server", filepath.Join(dir, "moto.log"), motoEnv, bin, "-H", "127.0.0.1", "-p", itoa(port))
		if err != nil {
			return nil, "", err
		}
		lastErr = p.waitReady(ctx, 60*time.Second, func(ctx context.Context) error { return httpAnswers(ctx, base+"/moto-api/") })
		if lastErr == nil {
			return p, base, nil
		}
		p.stop()
	}
	return nil, "", fmt.Errorf("starting moto_server (log in %s): %w", filepath.Join(dir, "moto.log"), lastErr)
}

// httpAnswers succeeds when url gives any HTTP response.
func httpAnswers(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
