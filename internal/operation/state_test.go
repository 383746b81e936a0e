package operation_test

import (
	"os"
	"strings"
	"testing"
)

func assertNoSecretInState(t *testing.T, path, secret string) {
	t.Helper()
	if secret == "" {
		t.Fatal("empty secret given to the leak check")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), secret) {
		t.Errorf("state file %s contains a secret", path)
	}
}
