# A short Makefile over hack/ scripts; the scripts hold the logic.
.PHONY: test demo build

# Every test: unit, and integration against moto, MariaDB and kube-apiserver.
test:
	hack/test.sh

# kfaws init, plan, up, plan again on the local stack (hack/demo.sh).
demo:
	@test -x hack/demo.sh || { echo "hack/demo.sh is not written yet" >&2; exit 1; }
	hack/demo.sh

build:
	go build -o bin/kfaws ./cmd/kfaws
