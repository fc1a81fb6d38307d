"""Detects changes between two JSON Schemas that would break existing data or consumers.

The rule (EVENTS.md): every document valid under the old schema must stay valid under the
new one, and no field may disappear. Widening (new optional field, new enum value, looser
bound, nullable) is fine; narrowing is a new `dataversion` with an upcaster.
"""

from typing import Any

Schema = dict[str, Any]

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


def breaking_changes(old_schema: Schema, new_schema: Schema) -> list[str]:
    """One readable line per breaking change; empty when the new schema is compatible."""
    return _Comparison(old_schema, new_schema).compare(old_schema, new_schema, "$")


def _resolve(schema: Any, root: Schema) -> Schema:
    """Follow local `$ref`s (`#/$defs/...`) until a concrete subschema."""
    seen: set[str] = set()
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            raise ValueError(f"unsupported or cyclic $ref {ref!r}")
        seen.add(ref)
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        schema = target
    if isinstance(schema, bool):
        return {} if schema else {"not": {}}
    if not isinstance(schema, dict):
        raise ValueError(f"not a schema: {schema!r}")
    return schema


def _types(schema: Schema) -> set[str] | None:
    """The JSON types a (branch) schema allows; None when it does not restrict the type."""
    declared = schema.get("type")
    if declared is None:
        return None
    return {declared} if isinstance(declared, str) else set(declared)


def _covered(json_type: str, allowed: set[str]) -> bool:
    return json_type in allowed or (json_type == "integer" and "number" in allowed)


def _enum(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    return list(values) if values is not None else None


def _describe(schema: Schema) -> str:
    types = _types(schema)
    if types is not None:
        return "/".join(sorted(types))
    return "any value"


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root

    def branches(self, schema: Any, root: Schema) -> list[Schema]:
        resolved = _resolve(schema, root)
        alternatives = resolved.get("anyOf") or resolved.get("oneOf")
        if not alternatives:
            return [resolved]
        return [branch for item in alternatives for branch in self.branches(item, root)]

    def compare(self, old: Any, new: Any, path: str) -> list[str]:
        old_branches = self.branches(old, self.old_root)
        new_branches = self.branches(new, self.new_root)
        if len(old_branches) == 1 and len(new_branches) == 1:
            return self.compare_branch(old_branches[0], new_branches[0], path)
        problems: list[str] = []
        for old_branch in old_branches:
            attempts = [self.compare_branch(old_branch, nb, path) for nb in new_branches]
            if any(not attempt for attempt in attempts):
                continue
            same_type: list[list[str]] = [
                attempt
                for attempt, nb in zip(attempts, new_branches, strict=True)
                if _types(nb) is None or (_types(old_branch) or set()) & (_types(nb) or set())
            ]
            if same_type:
                fewest: list[str] = min(same_type, key=len)
                problems.extend(fewest)
            elif _types(old_branch) == {"null"}:
                problems.append(f"{path}: type narrowed: nullable became non-null")
            else:
                problems.append(
                    f"{path}: type narrowed: {_describe(old_branch)} is no longer accepted"
                )
        return problems

    def compare_branch(self, old: Schema, new: Schema, path: str) -> list[str]:
        problems = self.compare_types(old, new, path)
        problems += self.compare_enums(old, new, path)
        problems += self.compare_bounds(old, new, path)
        if "properties" in old or "properties" in new or _types(old) == {"object"}:
            problems += self.compare_objects(old, new, path)
        if "items" in old or "items" in new:
            problems += self.compare_items(old, new, path)
        return problems

    @staticmethod
    def compare_types(old: Schema, new: Schema, path: str) -> list[str]:
        new_types = _types(new)
        if new_types is None:
            return []
        old_types = _types(old)
        if old_types is None:
            return [f"{path}: type narrowed from any value to {_describe(new)}"]
        lost = sorted(t for t in old_types if not _covered(t, new_types))
        if not lost:
            return []
        if lost == ["null"]:
            return [f"{path}: type narrowed: nullable became non-null"]
        return [f"{path}: type narrowed from {_describe(old)} to {_describe(new)}"]

    @staticmethod
    def compare_enums(old: Schema, new: Schema, path: str) -> list[str]:
        new_values = _enum(new)
        if new_values is None:
            return []
        old_values = _enum(old)
        if old_values is None:
            return [f"{path}: narrowed: values now restricted to {new_values}"]
        removed = [value for value in old_values if value not in new_values]
        return [f"{path}: enum values removed: {removed}"] if removed else []

    @staticmethod
    def compare_bounds(old: Schema, new: Schema, path: str) -> list[str]:
        problems = []
        for key in _LOWER_BOUNDS:
            if key in new and (key not in old or new[key] > old[key]):
                problems.append(f"{path}: {key} narrowed from {old.get(key)} to {new[key]}")
        for key in _UPPER_BOUNDS:
            if key in new and (key not in old or new[key] < old[key]):
                problems.append(f"{path}: {key} narrowed from {old.get(key)} to {new[key]}")
        for key in ("pattern", "format"):
            if key in new and new[key] != old.get(key):
                problems.append(f"{path}: {key} changed from {old.get(key)} to {new[key]}")
        return problems

    def compare_objects(self, old: Schema, new: Schema, path: str) -> list[str]:
        old_props: Schema = old.get("properties", {})
        new_props: Schema = new.get("properties", {})
        added = sorted(set(new_props) - set(old_props))
        problems = []
        for name in sorted(set(old_props) - set(new_props)):
            hint = f" (renamed? new fields: {', '.join(added)})" if added else ""
            problems.append(f"{path}.{name}: field removed{hint}")
        for name in sorted(set(old_props) & set(new_props)):
            problems += self.compare(old_props[name], new_props[name], f"{path}.{name}")
        old_required = set(old.get("required", []))
        for name in sorted(set(new.get("required", [])) - old_required):
            if name in old_props:
                problems.append(f"{path}.{name}: optional field became required")
            else:
                problems.append(f"{path}.{name}: new required field")
        problems += self.compare_extra(old, new, path)
        return problems

    def compare_extra(self, old: Schema, new: Schema, path: str) -> list[str]:
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        problems = []
        if new_extra is False and old_extra is not False:
            problems.append(f"{path}: additional properties no longer allowed")
        elif isinstance(new_extra, dict):
            if old_extra is True:
                problems.append(f"{path}: additional properties now restricted")
            elif isinstance(old_extra, dict):
                problems += self.compare(old_extra, new_extra, f"{path}.*")
        if "propertyNames" in new:
            if "propertyNames" not in old:
                problems.append(f"{path}: property names now restricted")
            else:
                problems += self.compare(old["propertyNames"], new["propertyNames"], f"{path}{{}}")
        return problems

    def compare_items(self, old: Schema, new: Schema, path: str) -> list[str]:
        if "items" not in new:
            return []
        if "items" not in old:
            return [f"{path}[]: items now restricted"]
        return self.compare(old["items"], new["items"], f"{path}[]")
