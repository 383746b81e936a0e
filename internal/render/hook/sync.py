"""kfaws profile hook.

Runs in place of the code of the release's upstream profile controller
(kubeflow-pipelines-profile-controller), behind the same Service and the same
metacontroller CompositeController (manifests v1.7-v1.9, metacontroller
v2.0.4) or DecoratorController (v1.10 on, metacontroller v4.11.22).

For every namespace labelled pipelines.kubeflow.org/enabled=true it returns
the objects of the templates file that `kfaws render` wrote:

  {"env": {NAME: fallback, ...},
   "objects": [{"object": {...}}, {"when": "NAME", "object": {...}}, ...]}

An entry with "when" is returned only when NAME is "true". In the objects,
__NAMESPACE__ in any string becomes the namespace name; a whole string
__B64ENV_NAME__ becomes the base64 of environment variable NAME (Secret data,
so keys never sit in a ConfigMap); a whole string __IMAGE_C__ becomes the
image the upstream controller would run: C_IMAGE, then C_TAG or KFP_VERSION.
NAME values come from the pod's environment, else from "env".

A DecoratorController sends the namespace as "object" and reads "attachments";
a CompositeController sends "parent" and reads "children". The answer carries
only that key and no status.

Run with --once to read one request from stdin and print the answer.
Python 3.7 compatible (the v1.8 and v1.9 controller image is python:3.7).
"""
import base64
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEMPLATES_ENV = "KFAWS_TEMPLATES"
DEFAULT_TEMPLATES = "/templates/attachments.json"
ENABLED_LABEL = "pipelines.kubeflow.org/enabled"
SIDECAR_ANNOTATION = "sidecar.istio.io/inject"
# (where the controller type puts the namespace, where it reads the desired objects)
CONTROLLER_KEYS = (("object", "attachments"), ("parent", "children"))


class HookError(Exception):
    """A request or setting the hook cannot answer; metacontroller retries."""


class Settings(object):
    """Values from the pod's environment, with the templates' fallbacks."""

    def __init__(self, fallbacks, environ):
        self.fallbacks = fallbacks
        self.environ = environ

    def get(self, name):
        value = self.environ.get(name, "")
        if value:
            return value
        return self.fallbacks.get(name, "")

    def enabled(self, name):
        return self.get(name).lower() == "true"

    def image(self, component):
        name = self.get(component + "_IMAGE")
        tag = self.get(component + "_TAG") or self.get("KFP_VERSION")
        if not name or not tag:
            raise HookError("no image for %s: set %s_IMAGE and KFP_VERSION on the controller"
                            % (component, component))
        return name + ":" + tag

    def b64(self, name):
        raw = self.environ.get(name, "")
        if not raw:
            raise HookError("environment variable %s is empty: the controller must read it from the "
                            "synced S3 Secret kubeflow/mlpipeline-minio-artifact" % name)
        return base64.b64encode(raw.encode("utf-8")).decode("ascii")


def fill(value, namespace, settings):
    if isinstance(value, dict):
        return dict((k, fill(v, namespace, settings)) for k, v in value.items())
    if isinstance(value, list):
        return [fill(v, namespace, settings) for v in value]
    if not isinstance(value, str):
        return value
    if value.startswith("__B64ENV_") and value.endswith("__"):
        return settings.b64(value[len("__B64ENV_"):-2])
    if value.startswith("__IMAGE_") and value.endswith("__"):
        return settings.image(value[len("__IMAGE_"):-2])
    return value.replace("__NAMESPACE__", namespace)


def without_sidecar(obj):
    """Marks a Deployment's pods as the upstream controller does when DISABLE_ISTIO_SIDECAR=true."""
    if obj.get("kind") == "Deployment":
        meta = obj["spec"]["template"].setdefault("metadata", {})
        meta.setdefault("annotations", {})[SIDECAR_ANNOTATION] = "false"
    return obj


def controller_keys(request):
    for namespace_key, answer_key in CONTROLLER_KEYS:
        if isinstance(request.get(namespace_key), dict):
            return namespace_key, answer_key
    raise HookError("the request has neither 'object' (DecoratorController) nor 'parent' "
                    "(CompositeController)")


def load_templates(environ):
    path = environ.get(TEMPLATES_ENV) or DEFAULT_TEMPLATES
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def respond(request, environ):
    namespace_key, answer_key = controller_keys(request)
    meta = request[namespace_key].get("metadata") or {}
    labels = meta.get("labels") or {}
    name = meta.get("name")
    # A CompositeController on namespaces is called for every namespace; a terminating one gets nothing new.
    if labels.get(ENABLED_LABEL) != "true" or meta.get("deletionTimestamp"):
        return {answer_key: []}
    if not name:
        raise HookError("the namespace in the request has no metadata.name")
    templates = load_templates(environ)
    settings = Settings(templates.get("env") or {}, environ)
    desired = []
    for entry in templates["objects"]:
        when = entry.get("when")
        if when and not settings.enabled(when):
            continue
        obj = fill(entry["object"], name, settings)
        if settings.enabled("DISABLE_ISTIO_SIDECAR"):
            obj = without_sidecar(obj)
        desired.append(obj)
    return {answer_key: desired}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            answer = respond(json.loads(self.rfile.read(length).decode("utf-8")), os.environ)
        except (HookError, ValueError, KeyError, OSError) as err:
            self.send_error(500, "kfaws profile hook: %s" % err)
            return
        body = json.dumps(answer).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    if "--once" in sys.argv[1:]:
        try:
            answer = respond(json.load(sys.stdin), os.environ)
        except (HookError, ValueError, KeyError, OSError) as err:
            sys.stderr.write("kfaws profile hook: %s\n" % err)
            sys.exit(1)
        json.dump(answer, sys.stdout, sort_keys=True)
        return
    port = int(os.environ.get("CONTROLLER_PORT", "8080"))
    # metacontroller reaches the hook through the controller's Service, so it listens on the pod address.
    ThreadingHTTPServer(("", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
