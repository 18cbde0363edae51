"""A renderer for the part of kustomize that deploy/k8s uses, so tests need no kustomize binary.

Supported: `resources` (files and directories), `namespace`, `labels` (with `includeSelectors`
and `includeTemplates`), `images`, `replicas`, `patches` (JSON 6902, inline, with a target by
kind and name regex) and `replacements` (a source field copied to target fields, `*` over list
items). Transformers run in kustomize's order: patches, namespace, labels, replicas, images,
replacements. Any other field is refused rather than ignored, so a kustomization using more than
this renders nowhere instead of rendering wrong.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]
SUPPORTED = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "images",
    "replicas",
    "patches",
    "replacements",
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}


class KustomizeError(ValueError):
    """The kustomization cannot be rendered by this subset."""


def render(directory: Path) -> list[Obj]:
    """Every object the kustomization in `directory` produces, transformed."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    if unknown := set(kustomization) - SUPPORTED:
        raise KustomizeError(f"{directory}: unsupported kustomization fields {sorted(unknown)}")
    objects: list[Obj] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            objects.extend(render(path))
        else:
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    _refuse_duplicates(objects, directory)
    for patch in kustomization.get("patches", []):
        _apply_patch(objects, patch, directory)
    if namespace := kustomization.get("namespace"):
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = namespace
    for label in kustomization.get("labels", []):
        _apply_labels(objects, label)
    for replica in kustomization.get("replicas", []):
        _apply_replicas(objects, replica)
    for image in kustomization.get("images", []):
        _apply_image(objects, image)
    for replacement in kustomization.get("replacements", []):
        _apply_replacement(objects, replacement)
    return objects


def _refuse_duplicates(objects: list[Obj], directory: Path) -> None:
    seen: set[tuple[str, str]] = set()
    for obj in objects:
        key = (obj["kind"], obj["metadata"]["name"])
        if key in seen:
            raise KustomizeError(f"{directory}: {key} is defined twice")
        seen.add(key)


def _selected(obj: Obj, target: Obj) -> bool:
    if unknown := set(target) - {"kind", "name"}:
        raise KustomizeError(f"unsupported target fields {sorted(unknown)}")
    if "kind" in target and not re.fullmatch(target["kind"], obj["kind"]):
        return False
    return "name" not in target or re.fullmatch(target["name"], obj["metadata"]["name"]) is not None


def _apply_patch(objects: list[Obj], patch: Obj, directory: Path) -> None:
    text = (directory / patch["path"]).read_text() if "path" in patch else patch["patch"]
    operations = yaml.safe_load(text)
    if not isinstance(operations, list):
        raise KustomizeError("only JSON 6902 patches (a list of operations) are supported")
    matched = [obj for obj in objects if _selected(obj, patch.get("target", {}))]
    if not matched:
        raise KustomizeError(f"patch target {patch.get('target')} matches nothing")
    for obj in matched:
        for operation in operations:
            _json6902(obj, operation)


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise KustomizeError(f"bad JSON pointer {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _json6902(obj: Obj, operation: Obj) -> None:
    *parents, last = _pointer(operation["path"])
    node: Any = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    op = operation["op"]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op == "add":
            node.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            node[index] = copy.deepcopy(operation["value"])
        elif op == "remove":
            del node[index]
        else:
            raise KustomizeError(f"unsupported operation {op}")
        return
    if op == "add":
        node[last] = copy.deepcopy(operation["value"])
    elif op == "replace":
        if last not in node:
            raise KustomizeError(f"replace of a missing field {operation['path']}")
        node[last] = copy.deepcopy(operation["value"])
    elif op == "remove":
        del node[last]
    else:
        raise KustomizeError(f"unsupported operation {op}")


def _apply_labels(objects: list[Obj], label: Obj) -> None:
    pairs = label["pairs"]
    for obj in objects:
        obj["metadata"].setdefault("labels", {}).update(pairs)
        if obj["kind"] not in POD_TEMPLATE_KINDS:
            if label.get("includeSelectors") and obj["kind"] == "Service":
                obj["spec"].setdefault("selector", {}).update(pairs)
            continue
        if label.get("includeTemplates") or label.get("includeSelectors"):
            template = obj["spec"]["template"].setdefault("metadata", {})
            template.setdefault("labels", {}).update(pairs)
        if label.get("includeSelectors") and obj["kind"] != "Job":
            obj["spec"]["selector"].setdefault("matchLabels", {}).update(pairs)


def _apply_replicas(objects: list[Obj], replica: Obj) -> None:
    for obj in objects:
        if obj["metadata"]["name"] == replica["name"] and obj["kind"] in POD_TEMPLATE_KINDS:
            obj["spec"]["replicas"] = replica["count"]


def _apply_image(objects: list[Obj], image: Obj) -> None:
    for obj in objects:
        if obj["kind"] not in POD_TEMPLATE_KINDS:
            continue
        pod = obj["spec"]["template"]["spec"]
        for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
            name, _, tag = container["image"].partition(":")
            if name != image["name"]:
                continue
            new_name = image.get("newName", name)
            new_tag = image.get("newTag", tag)
            container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name


def _apply_replacement(objects: list[Obj], replacement: Obj) -> None:
    source_spec = replacement["source"]
    sources = [obj for obj in objects if _selected(obj, _kind_name(source_spec))]
    if len(sources) != 1:
        raise KustomizeError(f"replacement source {source_spec} matches {len(sources)} objects")
    value = _field(sources[0], source_spec["fieldPath"].split("."))
    for target in replacement["targets"]:
        selected = [obj for obj in objects if _selected(obj, _kind_name(target["select"]))]
        if not selected:
            raise KustomizeError(f"replacement target {target['select']} matches nothing")
        for obj in selected:
            for field_path in target["fieldPaths"]:
                _set_fields(obj, field_path.split("."), value)


def _kind_name(spec: Obj) -> Obj:
    return {k: spec[k] for k in ("kind", "name") if k in spec}


def _field(obj: Any, parts: list[str]) -> Any:
    for part in parts:
        obj = obj[part]
    return obj


def _set_fields(node: Any, parts: list[str], value: Any) -> None:
    head, *rest = parts
    if head == "*":
        if not isinstance(node, list):
            raise KustomizeError("`*` applies to a list")
        for item in node:
            _set_fields(item, rest, value)
        return
    if not rest:
        if head not in node:
            raise KustomizeError(f"replacement of a missing field {head}")
        node[head] = copy.deepcopy(value)
        return
    _set_fields(node[head], rest, value)
