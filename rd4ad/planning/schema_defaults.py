"""The config schema's defaults filled in without ``jsonschema``, for a machine that lacks it (a bare GPU image).

Fills what the planner's validating filler fills: each missing property with a ``default``, recursing
through ``properties``, ``additionalProperties``, ``items``, ``allOf`` and local ``$ref``s. It
validates nothing: such a machine plans only a tracked config, which CI validates with ``jsonschema``.
"""

from __future__ import annotations

import copy


def fill_defaults(instance, schema: dict, root: dict | None = None):
    """``instance`` with the missing defaults of ``schema`` filled in place (``root`` resolves ``$ref``)."""
    root = schema if root is None else root
    if "$ref" in schema:
        node = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        fill_defaults(instance, node, root)
    for sub in schema.get("allOf", ()):
        fill_defaults(instance, sub, root)
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        for name, sub in props.items():
            if "default" in sub:
                instance.setdefault(name, copy.deepcopy(sub["default"]))
            if name in instance:
                fill_defaults(instance[name], sub, root)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name in set(instance) - set(props):
                fill_defaults(instance[name], extra, root)
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for item in instance:
            fill_defaults(item, schema["items"], root)
    return instance
