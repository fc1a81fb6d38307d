"""The compatibility checker catches every kind of breaking change and allows widening."""

from typing import Any

import pytest

from contracts.compat import breaking_changes


def obj(
    properties: dict[str, Any], required: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    schema["required"] = list(properties) if required is None else required
    return schema


INT = {"type": "integer"}
NUM = {"type": "number"}
STR = {"type": "string"}
NULLABLE_STR = {"anyOf": [STR, {"type": "null"}]}
COLOURS = {"type": "string", "enum": ["green", "yellow", "red"]}

BASE = obj({"a": STR, "n": NUM, "colour": COLOURS, "note": NULLABLE_STR})


def with_property(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return obj({**BASE["properties"], name: schema})


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (obj({"n": NUM, "colour": COLOURS, "note": NULLABLE_STR}), "$.a: field removed"),
        (
            obj({"b": STR, "n": NUM, "colour": COLOURS, "note": NULLABLE_STR}),
            "renamed? new fields: b",
        ),
        (with_property("n", INT), "$.n: type narrowed from number to integer"),
        (with_property("a", INT), "$.a: type narrowed from string to integer"),
        (
            with_property("colour", {"type": "string", "enum": ["green", "red"]}),
            "$.colour: enum values removed: ['yellow']",
        ),
        (with_property("a", {"type": "string", "enum": ["x"]}), "$.a: narrowed"),
        (with_property("note", STR), "$.note: type narrowed: nullable became non-null"),
        (with_property("n", {"type": "number", "maximum": 5}), "$.n: maximum narrowed"),
        (with_property("a", {"type": "string", "minLength": 2}), "$.a: minLength narrowed"),
        (obj({**BASE["properties"], "z": STR}), "$.z: new required field"),
        (
            obj({**BASE["properties"]}, additionalProperties=False),
            "$: additional properties no longer allowed",
        ),
    ],
)
def test_breaking_changes_are_reported(new: dict[str, Any], expected: str) -> None:
    problems = breaking_changes(BASE, new)
    assert any(expected in problem for problem in problems), problems


def test_optional_field_becoming_required_is_reported() -> None:
    old = obj({"a": STR, "b": STR}, required=["a"])
    new = obj({"a": STR, "b": STR}, required=["a", "b"])
    assert breaking_changes(old, new) == ["$.b: optional field became required"]


def test_narrowing_inside_arrays_refs_and_maps_is_reported() -> None:
    old = {
        "$defs": {"Colour": COLOURS},
        **obj(
            {
                "items": {"type": "array", "items": {"$ref": "#/$defs/Colour"}},
                "scores": {"type": "object", "additionalProperties": {"type": "number"}},
            }
        ),
    }
    new = {
        "$defs": {"Colour": {"type": "string", "enum": ["green"]}},
        **obj(
            {
                "items": {"type": "array", "items": {"$ref": "#/$defs/Colour"}, "minItems": 1},
                "scores": {"type": "object", "additionalProperties": {"type": "integer"}},
            }
        ),
    }
    problems = breaking_changes(old, new)
    assert "$.items[]: enum values removed: ['yellow', 'red']" in problems
    assert any(problem.startswith("$.items: minItems narrowed") for problem in problems)
    assert "$.scores.*: type narrowed from number to integer" in problems


@pytest.mark.parametrize(
    "new",
    [
        BASE,
        obj({**BASE["properties"], "extra": NULLABLE_STR}, required=["a", "n", "colour", "note"]),
        with_property("colour", {"type": "string", "enum": ["green", "yellow", "red", "blue"]}),
        with_property("a", {"anyOf": [STR, {"type": "null"}]}),
        with_property("note", {"anyOf": [STR, INT, {"type": "null"}]}),
        obj({**BASE["properties"]}, required=["a"]),
    ],
)
def test_widening_is_compatible(new: dict[str, Any]) -> None:
    assert breaking_changes(BASE, new) == []


def test_integer_widened_to_number_is_compatible() -> None:
    assert breaking_changes(obj({"n": INT}), obj({"n": NUM})) == []


def test_loosened_bounds_are_compatible() -> None:
    old = obj({"n": {"type": "integer", "minimum": 0, "maximum": 10}})
    new = obj({"n": {"type": "number", "minimum": -1, "maximum": 100}})
    assert breaking_changes(old, new) == []
