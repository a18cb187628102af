"""Renders a Kustomize directory offline, for the checks of //deploy.

Supports what deploy/kubernetes uses: resources (files and directories with
their own kustomization.yaml), namespace, replicas, images, and patches that
are JSON patches (RFC 6902: add, replace, remove) by path or inline, with a
target (group, version, kind, name). Anything else is an error, so a new
feature in the manifests is noticed here first; when kubectl is installed,
//deploy:k8s_manifests_test also compares this with `kubectl kustomize`.

Usage: render.py DIR  -> a JSON list of the rendered objects on stdout.
"""
import copy
import json
import os
import sys

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "replicas", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PersistentVolume", "StorageClass", "PriorityClass"}


def load_documents(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError(f"bad JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def apply_json_patch(obj, ops):
    for op in ops:
        parts = pointer(op["path"])
        parent = obj
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        kind = op["op"]
        if kind == "add":
            if isinstance(parent, list):
                if last == "-":
                    parent.append(copy.deepcopy(op["value"]))
                else:
                    parent.insert(int(last), copy.deepcopy(op["value"]))
            else:
                parent[last] = copy.deepcopy(op["value"])
        elif kind == "replace":
            if isinstance(parent, list):
                parent[int(last)] = copy.deepcopy(op["value"])
            else:
                if last not in parent:
                    raise KeyError(f"replace: no {op['path']}")
                parent[last] = copy.deepcopy(op["value"])
        elif kind == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                del parent[last]
        else:
            raise ValueError(f"unsupported JSON patch op {kind!r}")
    return obj


def matches(target, obj):
    group, _, version = obj["apiVersion"].rpartition("/")
    checks = {"group": group, "version": version, "kind": obj["kind"],
              "name": obj["metadata"]["name"]}
    for key, value in target.items():
        if key not in checks:
            raise ValueError(f"unsupported patch target field {key!r}")
        if checks[key] != value:
            return False
    return True


def render(directory):
    kustomization = os.path.join(directory, "kustomization.yaml")
    with open(kustomization) as f:
        k = yaml.safe_load(f)
    unknown = set(k) - SUPPORTED
    if unknown:
        raise ValueError(f"{kustomization}: unsupported fields {sorted(unknown)}")
    objects = []
    for resource in k.get("resources", []):
        path = os.path.join(directory, resource)
        objects.extend(render(path) if os.path.isdir(path) else load_documents(path))
    for patch in k.get("patches", []):
        if "path" in patch:
            ops = load_documents(os.path.join(directory, patch["path"]))[0]
        else:
            ops = yaml.safe_load(patch["patch"])
        if not isinstance(ops, list):
            raise ValueError("only JSON patches (a list of operations) are supported")
        hits = [o for o in objects if matches(patch.get("target", {}), o)]
        if not hits:
            raise ValueError(f"patch target {patch.get('target')} matches nothing")
        for o in hits:
            apply_json_patch(o, ops)
    for r in k.get("replicas", []):
        hits = [o for o in objects if o["metadata"]["name"] == r["name"] and "replicas" in o.get("spec", {})]
        if not hits:
            raise ValueError(f"replicas: nothing named {r['name']}")
        for o in hits:
            o["spec"]["replicas"] = r["count"]
    for image in k.get("images", []):
        for o in objects:
            pod = o.get("spec", {}).get("template", {}).get("spec", {})
            for c in pod.get("containers", []) + pod.get("initContainers", []):
                name = c["image"].split("@")[0].rsplit(":", 1)[0] if ":" in c["image"].split("/")[-1] else c["image"].split("@")[0]
                if name != image["name"]:
                    continue
                new = image.get("newName", name)
                if "digest" in image:
                    c["image"] = f"{new}@{image['digest']}"
                else:
                    tag = image.get("newTag", c["image"][len(name) + 1:] if c["image"] != name else "")
                    c["image"] = f"{new}:{tag}" if tag else new
    if "namespace" in k:
        for o in objects:
            if o["kind"] not in CLUSTER_SCOPED:
                o["metadata"]["namespace"] = k["namespace"]
    return objects


if __name__ == "__main__":
    json.dump(render(sys.argv[1]), sys.stdout, indent=1)
