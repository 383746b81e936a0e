"""kfaws profile hook.

A metacontroller DecoratorController sync hook. For every namespace labelled
pipelines.kubeflow.org/enabled=true it returns the objects listed in the
templates file that `kfaws render` wrote (JSON, one list of Kubernetes
objects). In every string, __NAMESPACE__ becomes the namespace name, and a
whole value __B64ENV_NAME__ becomes the base64 of environment variable NAME
(used for Secret data, so keys never sit in a ConfigMap).

Run with --once to read one request from stdin and print the response.
"""
import base64
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEMPLATES = os.environ.get("KFAWS_TEMPLATES", "/templates/attachments.json")
ENABLED_LABEL = "pipelines.kubeflow.org/enabled"


def fill(value, namespace):
    if isinstance(value, dict):
        return {k: fill(v, namespace) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, namespace) for v in value]
    if isinstance(value, str):
        if value.startswith("__B64ENV_") and value.endswith("__"):
            raw = os.environ.get(value[len("__B64ENV_"):-2], "")
            return base64.b64encode(raw.encode("utf-8")).decode("ascii")
        return value.replace("__NAMESPACE__", namespace)
    return value


def respond(request):
    # metacontroller sends a DecoratorController's namespace as "object" (a CompositeController's as "parent").
    parent = request.get("object") or request.get("parent") or {}
    meta = parent.get("metadata") or {}
    labels = meta.get("labels") or {}
    if labels.get(ENABLED_LABEL) != "true":
        return {"attachments": []}
    with open(TEMPLATES, encoding="utf-8") as f:
        templates = json.load(f)
    return {"attachments": [fill(t, meta["name"]) for t in templates]}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.dumps(respond(json.loads(self.rfile.read(length)))).encode("utf-8")
        except (ValueError, KeyError, OSError) as err:
            self.send_error(500, "kfaws profile hook: %s" % err)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    if "--once" in sys.argv[1:]:
        json.dump(respond(json.load(sys.stdin)), sys.stdout, sort_keys=True)
        return
    port = int(os.environ.get("CONTROLLER_PORT", "8080"))
    # Inside the pod: metacontroller reaches the hook through its Service, so it listens on the pod address.
    ThreadingHTTPServer(("", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
