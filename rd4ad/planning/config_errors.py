"""A run config that breaks the schema, as one line: the config file, the offending key, the rule.

A ``jsonschema`` error's own text dumps the whole schema; the error itself knows the key and
the value.
"""

from __future__ import annotations

from collections.abc import Iterable


def _key(path: Iterable) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


def _validation_error(err: BaseException):
    from jsonschema.exceptions import ValidationError

    while err is not None and not isinstance(err, ValidationError):
        err = err.__cause__ or err.__context__
    return err


def schema_error_message(err: BaseException, sources: str | Iterable[str]) -> str:
    """``<config files>: config key <key>: <what is wrong>`` for a failed schema validation."""
    source = sources if isinstance(sources, str) else ", ".join(map(str, sources)) or "the run config"
    cause = _validation_error(err)
    if cause is None:
        return f"{source}: {(str(err).strip().splitlines() or [''])[0]}"
    if cause.validator == "pattern" and "description" in cause.schema:
        what = f"{cause.instance!r} is not valid: {' '.join(cause.schema['description'].split())}"
    else:
        what = cause.message[:300]
    return f"{source}: config key {_key(cause.absolute_path)}: {what}"
