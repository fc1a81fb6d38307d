"""A small Kustomize renderer for the features deploy/k8s uses, so tests need no binary.

Supported, with kustomize's semantics for what Polku's manifests need:

* `resources`: YAML files and directories holding a kustomization (rendered recursively,
  as kustomize renders a base before the overlay's own transformations);
* `configMapGenerator` with `files` (key = file name) and `literals`, `behavior: create`
  (default) or `merge`; generated names get a content-hash suffix and every reference from
  a pod spec (volumes, envFrom, configMapKeyRef) follows the rename. The suffix is a
  sha256 prefix, not kustomize's exact encoding: names differ from `kustomize build`, the
  behaviour (a content change renames the ConfigMap and rolls the pods) does not;
* `patches` with `path:` to a strategic-merge patch whose kind and name pick the target.
  Lists merge by the Kubernetes patch merge keys of the fields below (containers and env by
  `name`, ...); any other list is replaced; `null` deletes a field;
* `labels` with `includeSelectors: false` (metadata and, with `includeTemplates`, pod
  template labels);
* `images` (`newName`, `newTag`) on every container and init container;
* `namespace` on every namespaced object.

Anything else in a kustomization.yaml raises UnsupportedFeature, so a manifest change that
needs a real kustomize fails loudly here instead of rendering something else.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]

SUPPORTED_KEYS = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "configMapGenerator",
    "images",
    "patches",
}
CLUSTER_SCOPED_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass"}
# patchMergeKey of the list fields our patches touch (Kubernetes OpenAPI x-kubernetes-*).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "envFrom": None,  # atomic in strategic merge: replaced
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
}
_GENERATED = "polku.test/generated-configmap"


class UnsupportedFeature(Exception):
    """The kustomization uses something this renderer does not implement."""


def render(directory: Path) -> list[Doc]:
    """Render the kustomization in `directory` like `kustomize build` would."""
    docs = _render(directory)
    _apply_name_hashes(docs)
    return docs


def _render(directory: Path) -> list[Doc]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text("utf-8"))
    unknown = set(kustomization) - SUPPORTED_KEYS
    if unknown:
        raise UnsupportedFeature(f"{directory}: {sorted(unknown)}")
    docs: list[Doc] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            docs.extend(_render(path))
        else:
            docs.extend(d for d in yaml.safe_load_all(path.read_text("utf-8")) if d)
    for generator in kustomization.get("configMapGenerator", []):
        _generate(directory, generator, docs)
    for patch in kustomization.get("patches", []):
        if set(patch) != {"path"}:
            raise UnsupportedFeature(f"patch form {sorted(patch)}")
        for patch_doc in yaml.safe_load_all((directory / patch["path"]).read_text("utf-8")):
            if patch_doc:
                _patch(docs, patch_doc)
    for label_set in kustomization.get("labels", []):
        _label(docs, label_set)
    for image in kustomization.get("images", []):
        _set_image(docs, image)
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED_KINDS:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    return docs


def _generate(directory: Path, generator: Doc, docs: list[Doc]) -> None:
    unknown = set(generator) - {"name", "files", "literals", "behavior"}
    if unknown:
        raise UnsupportedFeature(f"configMapGenerator keys {sorted(unknown)}")
    data: dict[str, str] = {}
    for file_name in generator.get("files", []):
        if "=" in file_name:
            raise UnsupportedFeature("files with a key= prefix")
        data[Path(file_name).name] = (directory / file_name).read_text("utf-8")
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    behavior = generator.get("behavior", "create")
    existing = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == generator["name"]
    ]
    if behavior == "create":
        if existing:
            raise ValueError(f"ConfigMap {generator['name']} generated twice")
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": generator["name"], "annotations": {_GENERATED: "true"}},
                "data": data,
            }
        )
    elif behavior == "merge":
        if len(existing) != 1:
            raise ValueError(f"merge into missing ConfigMap {generator['name']}")
        existing[0]["data"].update(data)
    else:
        raise UnsupportedFeature(f"configMapGenerator behavior {behavior}")


def _patch(docs: list[Doc], patch_doc: Doc) -> None:
    targets = [
        d
        for d in docs
        if d["kind"] == patch_doc["kind"] and d["metadata"]["name"] == patch_doc["metadata"]["name"]
    ]
    if len(targets) != 1:
        raise ValueError(
            f"patch {patch_doc['kind']}/{patch_doc['metadata']['name']} matches "
            f"{len(targets)} resources"
        )
    merged = strategic_merge(targets[0], patch_doc)
    targets[0].clear()
    targets[0].update(merged)


def strategic_merge(base: Any, patch: Any, field: str | None = None) -> Any:
    """Strategic merge of `patch` into `base` (a copy is returned)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        result = copy.deepcopy(base)
        for key, value in patch.items():
            if value is None:
                result.pop(key, None)
            elif key in result:
                result[key] = strategic_merge(result[key], value, key)
            else:
                result[key] = copy.deepcopy(value)
        return result
    if isinstance(base, list) and isinstance(patch, list) and MERGE_KEYS.get(field or ""):
        key = MERGE_KEYS[field or ""]
        result = copy.deepcopy(base)
        for item in patch:
            position = next((i for i, b in enumerate(result) if b.get(key) == item[key]), None)
            if position is None:
                result.append(copy.deepcopy(item))
            else:
                result[position] = strategic_merge(result[position], item, None)
        return result
    return copy.deepcopy(patch)


def _label(docs: list[Doc], label_set: Doc) -> None:
    if label_set.get("includeSelectors", False):
        raise UnsupportedFeature("labels with includeSelectors: true")
    pairs = label_set["pairs"]
    for doc in docs:
        doc["metadata"].setdefault("labels", {}).update(pairs)
        if label_set.get("includeTemplates", False):
            for template in _pod_templates(doc):
                template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def _pod_templates(doc: Doc) -> Iterator[Doc]:
    spec = doc.get("spec", {})
    if "template" in spec:
        yield spec["template"]
    if "jobTemplate" in spec:
        yield spec["jobTemplate"]["spec"]["template"]


def pod_specs(doc: Doc) -> Iterator[Doc]:
    for template in _pod_templates(doc):
        yield template["spec"]


def containers(doc: Doc) -> Iterator[Doc]:
    for spec in pod_specs(doc):
        yield from spec.get("initContainers", [])
        yield from spec.get("containers", [])


def _set_image(docs: list[Doc], image: Doc) -> None:
    unknown = set(image) - {"name", "newName", "newTag"}
    if unknown:
        raise UnsupportedFeature(f"images keys {sorted(unknown)}")
    for doc in docs:
        for container in containers(doc):
            name, tag = _split_image(container["image"])
            if name == image["name"]:
                name = image.get("newName", name)
                tag = image.get("newTag", tag)
                container["image"] = f"{name}:{tag}" if tag else name


def _split_image(reference: str) -> tuple[str, str | None]:
    if "@" in reference:
        raise UnsupportedFeature("image digests")
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = reference.rsplit(":", 1)
        return name, tag
    return reference, None


def _apply_name_hashes(docs: list[Doc]) -> None:
    renames: dict[str, str] = {}
    for doc in docs:
        annotations = doc["metadata"].get("annotations", {})
        if annotations.pop(_GENERATED, None) is None:
            continue
        if not annotations:
            del doc["metadata"]["annotations"]
        content = json.dumps(
            {"kind": doc["kind"], "name": doc["metadata"]["name"], "data": doc["data"]},
            sort_keys=True,
        )
        digest = hashlib.sha256(content.encode()).hexdigest()[:10]
        renames[doc["metadata"]["name"]] = f"{doc['metadata']['name']}-{digest}"
        doc["metadata"]["name"] = renames[doc["metadata"]["name"]]
    for doc in docs:
        for spec in pod_specs(doc):
            for volume in spec.get("volumes", []):
                if "configMap" in volume:
                    ref = volume["configMap"]
                    ref["name"] = renames.get(ref["name"], ref["name"])
            for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
                for source in container.get("envFrom", []):
                    if "configMapRef" in source:
                        ref = source["configMapRef"]
                        ref["name"] = renames.get(ref["name"], ref["name"])
                for variable in container.get("env", []):
                    ref = variable.get("valueFrom", {}).get("configMapKeyRef")
                    if ref:
                        ref["name"] = renames.get(ref["name"], ref["name"])
