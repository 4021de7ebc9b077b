"""A paho client set up from `[mqtt]`: protocol, credentials and TLS, in one place.

The daemon's connection and `doctor`'s probe both build theirs here, so what doctor
checks is exactly what the daemon will use.
"""

from __future__ import annotations

import ssl

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from bridge.config.model import MqttConfig

# CONNACK refusals a user can fix, with the fix (paho's reason names as keys).
_LOGIN_FIX = (
    "check [mqtt] username and password (or password_file, the mqtt_password credential, "
    "$ISOLARCLOUD_MQTT_PASSWORD) against the broker's password file"
)
CONNACK_FIXES = {
    "Bad user name or password": _LOGIN_FIX,
    "Not authorized": f"{_LOGIN_FIX}, and its ACL",
    "Client identifier not valid": "set another [mqtt] client_id",
    "Unsupported protocol version": 'set [mqtt] protocol = "3.1.1"',
    "Server unavailable": "the broker is starting or overloaded; check its log and retry",
}
LOGIN_REFUSALS = frozenset({"Bad user name or password", "Not authorized"})


def connack_fix(reason: str, cfg: MqttConfig) -> str:
    """What to do about a refused connection (`reason` as paho names it)."""
    if reason in LOGIN_REFUSALS and not cfg.username:
        return "the broker wants a login: set [mqtt] username and password (or password_file)"
    return CONNACK_FIXES.get(reason, "read the broker's log")


def new_client(
    cfg: MqttConfig, client_id: str, *, reconnect_on_failure: bool = True
) -> mqtt.Client:
    v5 = cfg.protocol == "5"
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
        # MQTT 5 has no clean_session flag (clean start is a connect option)
        clean_session=None if v5 else True,
        reconnect_on_failure=reconnect_on_failure,
    )
    if cfg.username:
        # paho sends the password as given: no URL encoding, so @:/%#? need no escaping
        client.username_pw_set(cfg.username, cfg.password or None)
    if cfg.tls is not None:
        client.tls_set(
            ca_certs=str(cfg.tls.ca_file) if cfg.tls.ca_file else None,
            certfile=str(cfg.tls.cert_file) if cfg.tls.cert_file else None,
            keyfile=str(cfg.tls.key_file) if cfg.tls.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
        )
        if cfg.tls.insecure:
            # hostname check off on request only; the chain is still verified
            client.tls_insecure_set(True)
    return client
