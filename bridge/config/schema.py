"""The configuration schema: every section and key with its type, default, comment and check.

The single source for validation (`bridge.config.load`), the example file and the
documentation (`bridge.config.render`) and the questions of `config init`. Defaults are
read from the dataclasses in `bridge.config.model`, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from bridge.config.checks import (
    Check,
    boolean,
    choice,
    extra_points,
    host,
    integer,
    metric_names,
    path,
    ps_ids,
    string,
    topic,
    url,
)
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
