"""Value checks for the configuration schema: each takes a parsed TOML value and returns
it normalised, or raises `Invalid` with "<what is wrong>; <fix>"."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path


class Invalid(ValueError):
    """A value that fails its check; the message is "<what is wrong>; <fix>"."""


Check = Callable[[object], object]


def type_name(value: object) -> str:
    """The TOML name of a parsed value's type, for "expected X, got Y" messages."""
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(value), "a date or time")


def _expect(value: object, kind: type, what: str, hint: str = "") -> None:
    # bool is a subclass of int in Python, but not in TOML
    if type(value) is not kind:
        fix = hint or f"write {what}"
        raise Invalid(f"expected {what}, got {type_name(value)}; {fix}")


def integer(low: int, high: int, unit: str = "", note: str = "") -> Check:
    def check(value: object) -> object:
        hint = "write the number without quotes" if isinstance(value, str) else ""
        _expect(value, int, "an integer", hint)
        assert isinstance(value, int)
        if not low <= value <= high:
            rng = f"at least {low}" if high >= 10**9 else f"from {low} to {high}"
            raise Invalid(f"out of range; use a whole number {rng}{unit}{note}")
        return value

    return check


def boolean(value: object) -> object:
    hint = "write true or false without quotes" if isinstance(value, str) else ""
    _expect(value, bool, "true or false", hint)
    return value


def string(pattern: str = "", what: str = "", *, nonempty: bool = False) -> Check:
    def check(value: object) -> object:
        _expect(value, str, "a string", "put the value in double quotes")
        assert isinstance(value, str)
        if nonempty and not value:
            raise Invalid(f"must not be empty; write {what or 'a value'}")
        if pattern and value and not re.fullmatch(pattern, value):
            raise Invalid(f"expected {what}")
        return value

    return check


def choice(*options: str, note: str = "") -> Check:
    def check(value: object) -> object:
        _expect(value, str, f"one of {', '.join(options)} in quotes", "put it in double quotes")
        if value not in options:
            raise Invalid(f"expected one of {', '.join(options)}{note}")
        return value

    return check


def url(value: object) -> object:
    _expect(value, str, "a URL string", "put the URL in double quotes")
    assert isinstance(value, str)
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(
            "expected an http:// or https:// URL with a host, e.g. 'http://localhost:8765/callback'"
        )
    if len(value) > 256:
        raise Invalid("longer than 256 characters; use a shorter URL")
    return value


def host(value: object) -> object:
    string(nonempty=True, what="the broker's host name or IP address")(value)
    assert isinstance(value, str)
    if "://" in value or "/" in value or " " in value:
        raise Invalid(
            "expected a bare host name or IP address; drop the scheme and path, e.g. 'localhost'"
        )
    return value


def topic(value: object) -> object:
    string(nonempty=True, what="a topic such as 'isolarcloud'")(value)
    assert isinstance(value, str)
    if "+" in value or "#" in value or "\0" in value:
        raise Invalid("must not contain the wildcards + or #; use plain topic levels")
    if value.startswith("/") or value.endswith("/") or "//" in value:
        raise Invalid("must not start or end with '/' or contain empty levels; e.g. 'isolarcloud'")
    return value


def path(value: object) -> object:
    string(nonempty=True, what="a file path")(value)
    assert isinstance(value, str)
    return Path(value)


def _id(value: object, what: str) -> str:
    if type(value) is int and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    raise Invalid(f'expected {what} as numbers, e.g. [1234567] or ["1234567"]; got {value!r}')


def ps_ids(value: object) -> object:
    _expect(value, list, "an array of plant ids", "write e.g. [1234567]")
    assert isinstance(value, list)
    return tuple(_id(item, "plant ids (ps_id)") for item in value)


def metric_names(value: object) -> object:
    _expect(value, list, "an array of metric names", 'write e.g. ["pv_power"]')
    assert isinstance(value, list)
    for item in value:
        if not (isinstance(item, str) and re.fullmatch(r"[a-z][a-z0-9_]*", item)):
            raise Invalid(f"expected metric names such as 'pv_power'; got {item!r}")
    return tuple(value)


def extra_points(value: object) -> object:
    _expect(value, dict, "a table", 'write e.g. { plant = [83012], "14" = [13150] }')
    assert isinstance(value, dict)
    extra: dict[str, tuple[str, ...]] = {}
    for key, ids in value.items():
        if key != "plant" and not (key.isascii() and key.isdigit()):
            raise Invalid(f"key {key!r} is neither 'plant' nor a device type number such as \"14\"")
        if type(ids) is not list:
            raise Invalid(f"{key!r} must be an array of point ids, e.g. [83012]")
        # users copy ids from the API's point lists, where they read "p83012"
        extra[key] = tuple(
            _id(i[1:] if isinstance(i, str) and i.startswith("p") else i, "point ids") for i in ids
        )
    return extra
