# A short Makefile over hack/ scripts; the scripts hold the logic.
.PHONY: test demo build lint golden

# Every test: unit, and integration against moto, MariaDB and kube-apiserver.
test:
	hack/test.sh

# Rewrite every golden file (render's overlays, the CLI's help and plan output) from what the tests produce now.
golden:
	hack/golden.sh

# kfaws init, plan, up --manifests, plan, up again, verify, down on the local stack and apiserver (hack/demo.sh).
demo:
	hack/demo.sh

build:
	go build -o bin/kfaws ./cmd/kfaws

# golangci-lint with .golangci.yml (errcheck, govet, staticcheck, errorlint, sloglint, ...).
lint:
	hack/lint.sh
