"""The configuration schema: every section and key with its type, default, comment and check.

The single source for validation (`bridge.config.load`), the example file and the
documentation (`bridge.config.render`) and the questions of `config init`. Defaults are
read from the dataclasses in `bridge.config.model`, so they cannot drift apart.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from bridge.config.model import (
    REGIONS,
    HomeAssistantConfig,
    IsolarcloudConfig,
    LoggingConfig,
    MqttConfig,
    OutputConfig,
    PlantsConfig,
    PointsConfig,
    PollConfig,
    TlsConfig,
)


class Invalid(ValueError):
    """A value that fails its check; the message is "<what is wrong>; <fix>"."""


Check = Callable[[object], object]

# sections whose presence means something (a [mqtt.tls] table turns TLS on)
OPTIONAL_SECTIONS = frozenset({"mqtt.tls"})


@dataclass(frozen=True, slots=True)
class KeyInfo:
    type: str  # as the docs name it: "string", "integer", "boolean", "path", ...
    default: object  # in TOML form (lists, not tuples); None when the key is absent by default
    comment: str  # one line, used in the example file and the docs
    check: Check  # returns the normalised value or raises Invalid
    optional: bool = False  # absent by default: shown commented out in the example
    secret: bool = False  # its value is never shown
    example: object = None  # shown for optional keys in the example and the docs


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


def _key(
    kind: str,
    comment: str,
    check: Check,
    *,
    optional: bool = False,
    secret: bool = False,
    example: object = None,
) -> KeyInfo:
    return KeyInfo(kind, None, comment, check, optional, secret, example)


# section -> its dataclass at the defaults (Any: each section is a type of its own)
SECTION_DEFAULTS: dict[str, Any] = {
    "isolarcloud": IsolarcloudConfig(),
    "mqtt": MqttConfig(),
    "mqtt.tls": TlsConfig(),
    "homeassistant": HomeAssistantConfig(),
    "poll": PollConfig(),
    "plants": PlantsConfig(),
    "points": PointsConfig(),
    "output": OutputConfig(),
    "logging": LoggingConfig(),
}

# defaults are filled in from the dataclasses by _build()
_KEYS: dict[str, dict[str, KeyInfo]] = {
    "isolarcloud": {
        "region": _key(
            "string", "cn | intl | eu | au | in: where your plants are", choice(*REGIONS)
        ),
        "app_key": _key(
            "string",
            "Appkey from the developer portal: 32 hex characters",
            string(r"[0-9A-Fa-f]{32}", "32 hex characters, as the developer portal shows it"),
        ),
        "secret_key": _key(
            "string",
            "Secret key from the developer portal (or secret_key_file, or a credential)",
            string(),
            secret=True,
        ),
        "secret_key_file": _key(
            "path",
            "file holding the secret key, instead of secret_key",
            path,
            optional=True,
            example="/etc/isolarcloud2mqtt/secret_key",
        ),
        "application_id": _key(
            "integer",
            "the numeric applicationId in the portal's authorisation URL",
            integer(0, 2**31 - 1),
        ),
        "redirect_uri": _key("string", "the redirect URL registered for the app, exactly", url),
        "language": _key(
            "string",
            "language of point and device names, e.g. _en_US, _de_DE, _zh_CN",
            string(r"_[a-z]{2}_[A-Z]{2}", "a language code such as '_en_US'"),
        ),
        "gateway": _key(
            "string",
            "base-URL override (simulator, proxy, tests)",
            url,
            optional=True,
            example="http://127.0.0.1:8000",
        ),
        "web_url": _key(
            "string",
            "where the owner authorises, instead of the region's web host (`doctor` prints it)",
            url,
            optional=True,
            example="https://web3.isolarcloud.com.cn",
        ),
    },
    "mqtt": {
        "host": _key("string", "the broker's host name or IP address", host),
        "port": _key("integer", "1883, or 8883 for TLS", integer(1, 65535)),
        "username": _key("string", "empty for an anonymous connection", string()),
        "password": _key(
            "string",
            "broker password (or password_file, or the credential mqtt_password)",
            string(),
            secret=True,
        ),
        "password_file": _key(
            "path",
            "file holding the broker password, instead of password",
            path,
            optional=True,
            example="/etc/isolarcloud2mqtt/mqtt_password",
        ),
        "client_id": _key(
            "string",
            "must be unique on the broker",
            string(r"[^+#/\s]{1,64}", "1 to 64 characters without spaces, /, + or #"),
        ),
        "base_topic": _key("string", "the first topic level of every topic", topic),
        "protocol": _key(
            "string",
            '"3.1.1" or "5" (in quotes)',
            choice("3.1.1", "5", note=' (as a string in quotes, e.g. protocol = "5")'),
        ),
        "qos": _key("integer", "0, 1 or 2 for state topics", integer(0, 2)),
        "keepalive": _key("integer", "seconds between pings", integer(5, 65535, " seconds")),
    },
    "mqtt.tls": {
        "ca_file": _key(
            "path",
            "CA certificate of the broker; the system CAs when absent",
            path,
            optional=True,
            example="/etc/ssl/certs/mosquitto-ca.crt",
        ),
        "cert_file": _key(
            "path",
            "client certificate, for certificate authentication",
            path,
            optional=True,
            example="/etc/isolarcloud2mqtt/client.crt",
        ),
        "key_file": _key(
            "path",
            "client private key, with cert_file",
            path,
            optional=True,
            example="/etc/isolarcloud2mqtt/client.key",
        ),
        "insecure": _key("boolean", "skip the host name check (debugging only)", boolean),
    },
    "homeassistant": {
        "discovery": _key("boolean", "publish Home Assistant discovery", boolean),
        "prefix": _key("string", "Home Assistant's discovery prefix", topic),
        "mode": _key(
            "string",
            "entity: a config topic per entity; device: one per device (not for openHAB <= 5.1)",
            choice("entity", "device"),
        ),
        "expire_after": _key(
            "integer",
            "seconds until HA marks values stale; 0 = 3 x poll.interval",
            integer(0, 10**9, " seconds"),
        ),
    },
    "poll": {
        "interval": _key(
            "integer",
            "seconds between real-time polls",
            integer(60, 10**9, " seconds", "; the cloud refreshes its data every 5 minutes"),
        ),
        "device_list_interval": _key(
            "integer",
            "seconds between refreshes of the device lists",
            integer(60, 10**9, " seconds"),
        ),
        "min_refresh_interval": _key(
            "integer",
            "minimum seconds between on-demand refreshes of a plant",
            integer(10, 10**9, " seconds"),
        ),
        "hourly_call_budget": _key(
            "integer",
            "API calls allowed per hour (the Basic plan allows 2000)",
            integer(1, 100000),
        ),
    },
    "plants": {
        "include": _key(
            "array of ps_ids", "plants to publish; empty = every authorised plant", ps_ids
        ),
        "exclude": _key("array of ps_ids", "plants never to publish", ps_ids),
    },
    "points": {
        "extra": _key(
            "table of arrays of point ids",
            'extra points: { plant = [83012], "14" = [13150] } (key: plant or device type)',
            extra_points,
        ),
        "exclude": _key("array of strings", "metric names not to publish", metric_names),
    },
    "output": {
        "json": _key("boolean", "publish <base>/<ps_id>[/<device>]/state as JSON", boolean),
        "values": _key("boolean", "publish one topic per metric with the bare value", boolean),
    },
    "logging": {
        "level": _key(
            "string", "debug | info | warning | error", choice("debug", "info", "warning", "error")
        ),
        "format": _key(
            "string",
            "auto: console on a terminal, JSON otherwise; or console | json",
            choice("auto", "console", "json"),
        ),
    },
}


def _toml_form(value: object) -> object:
    if isinstance(value, tuple):
        return [_toml_form(v) for v in value]
    if isinstance(value, dict):
        return {k: _toml_form(v) for k, v in value.items()}
    return value


@cache
def _build() -> dict[str, dict[str, KeyInfo]]:
    built: dict[str, dict[str, KeyInfo]] = {}
    for section, keys in _KEYS.items():
        source = SECTION_DEFAULTS[section]
        # keys without a dataclass field (the *_file keys) default to absent
        built[section] = {
            key: replace(info, default=_toml_form(getattr(source, key, None)))
            for key, info in keys.items()
        }
    return built


def schema() -> dict[str, dict[str, KeyInfo]]:
    """Section ("mqtt.tls" for the nested table) -> key -> KeyInfo, in file order."""
    return {section: dict(keys) for section, keys in _build().items()}
