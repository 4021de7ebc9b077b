"""The doctor's broker checks: reach the broker, log in as the bridge would, see HA's birth.

The probe is a client of its own (its own client id, no last will, nothing published), so
running `doctor` beside a live daemon neither kicks the daemon off nor marks it offline.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from bridge.config.model import MqttConfig
from bridge.doctor.check import Check
from bridge.mqtt.paho_client import LOGIN_REFUSALS, connack_fix, new_client

BROKER = "broker"
HOME_ASSISTANT = "home assistant"


@dataclass
class _Probe:
    """What paho's network thread reports back; every field is set before its event."""

    connected: threading.Event = field(default_factory=threading.Event)
    reason: str | None = None  # CONNACK reason name, or None when the socket closed first
    refused: bool = False
    subscribed: threading.Event = field(default_factory=threading.Event)
    sub_denied: bool = False
    message: threading.Event = field(default_factory=threading.Event)
    payload: bytes = b""
    retained: bool = False


class BrokerSession:
    """A logged-in probe client; close it when done."""

    def __init__(self, client: mqtt.Client, probe: _Probe) -> None:
        self._client = client
        self._probe = probe

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def ha_birth(self, prefix: str, wait: float) -> Check:
        """Subscribe to `<prefix>/status` and wait up to `wait` s for HA's birth message."""
        topic = f"{prefix}/status"
        probe = self._probe
        self._client.message_callback_add(topic, _on_status(probe))
        self._client.subscribe(topic, qos=1)
        if not probe.subscribed.wait(wait):
            return Check(HOME_ASSISTANT, "WARN", f"no SUBACK for {topic}", "check the broker log")
        if probe.sub_denied:
            return Check(
                HOME_ASSISTANT,
                "WARN",
                f"the broker does not let this user subscribe to {topic}",
                f"allow it in the broker's ACL (topic read {topic}); the bridge needs it to "
                "resend discovery when Home Assistant restarts",
            )
        # retained messages follow the SUBACK at once; a bounded wait is the check itself
        if not probe.message.wait(wait):
            return Check(
                HOME_ASSISTANT,
                "WARN",
                f"no retained birth message on {topic}: Home Assistant may not be using "
                "this broker, or does not retain its birth message",
                "in Home Assistant's MQTT integration, point it at this broker and keep the "
                f"birth message on (topic {topic}, payload online, retain on)",
            )
        text = probe.payload.decode("utf-8", "replace")
        if text == "online":
            how = "retained " if probe.retained else ""
            return Check(
                HOME_ASSISTANT, "OK", f"Home Assistant is listening ({how}online on {topic})"
            )
        return Check(
            HOME_ASSISTANT,
            "WARN",
            f"{topic} says {text[:40]!r}: Home Assistant is stopped or lost the broker",
            "start Home Assistant, or check its MQTT integration",
        )


def _on_status(probe: _Probe) -> Any:
    def handle(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        probe.payload, probe.retained = bytes(msg.payload), bool(msg.retain)
        probe.message.set()

    return handle


def check_broker(cfg: MqttConfig, timeout: float) -> tuple[Check, BrokerSession | None]:
    """TCP first (to tell "nothing there" from "refused us"), then a real MQTT login."""
    where = f"{cfg.host}:{cfg.port}"
    failed = _tcp(cfg, where, timeout)
    if failed is not None:
        return failed, None
    probe = _Probe()
    client = _client(cfg, probe)
    client.connect_timeout = timeout
    try:
        client.connect(cfg.host, cfg.port, keepalive=cfg.keepalive)
    except ssl.SSLCertVerificationError as exc:
        return (
            Check(
                BROKER,
                "FAIL",
                f"TLS: the broker's certificate at {where} is not trusted ({exc.verify_message})",
                "set [mqtt.tls] ca_file to the CA that signed it; a host name mismatch can "
                "be allowed with [mqtt.tls] insecure = true",
            ),
            None,
        )
    except (ssl.SSLError, ConnectionResetError) as exc:
        if cfg.tls is None:  # a plain connection reset right after TCP worked
            return Check(BROKER, "FAIL", f"{where} closed the connection ({exc})", _PORT_FIX), None
        why = exc.reason if isinstance(exc, ssl.SSLError) else "the broker reset the connection"
        return (
            Check(
                BROKER,
                "FAIL",
                f"TLS handshake with {where} failed ({why or exc})",
                "use the broker's TLS port (often 8883) with [mqtt.tls], or remove [mqtt.tls] "
                "for a plain port (often 1883)",
            ),
            None,
        )
    except OSError as exc:
        return Check(BROKER, "FAIL", f"cannot connect to {where} ({exc})", _PORT_FIX), None
    client.loop_start()
    session = BrokerSession(client, probe)
    if not probe.connected.wait(timeout) or probe.reason is None:
        session.close()
        hint = "" if cfg.tls is not None else " (a TLS port needs [mqtt.tls])"
        return (
            Check(
                BROKER,
                "FAIL",
                f"{where} accepts TCP but gave no MQTT answer within {timeout:g} s{hint}",
                "check that this is the broker's MQTT port and read the broker's log",
            ),
            None,
        )
    if probe.refused:
        session.close()
        return _refusal(cfg, where, probe.reason), None
    user = f"user {cfg.username!r}" if cfg.username else "anonymous"
    tls = ", TLS" if cfg.tls is not None else ""
    message = f"connected to {where} as {user} (MQTT {cfg.protocol}{tls})"
    return Check(BROKER, "OK", message), session


_PORT_FIX = "start the broker (e.g. `systemctl status mosquitto`), or fix [mqtt] host and port"


def _tcp(cfg: MqttConfig, where: str, timeout: float) -> Check | None:
    try:
        with socket.create_connection((cfg.host, cfg.port), timeout=timeout):
            return None
    except socket.gaierror:
        return Check(BROKER, "FAIL", f"host name {cfg.host!r} does not resolve", "fix [mqtt] host")
    except ConnectionRefusedError:
        return Check(
            BROKER, "FAIL", f"connection to {where} refused: no broker listens there", _PORT_FIX
        )
    except TimeoutError:
        return Check(
            BROKER,
            "FAIL",
            f"no answer from {where} within {timeout:g} s",
            "check [mqtt] host and port, and that no firewall drops the traffic",
        )
    except OSError as exc:
        return Check(
            BROKER,
            "FAIL",
            f"{where} is unreachable ({exc.strerror or exc})",
            "check the network and [mqtt] host",
        )


def _refusal(cfg: MqttConfig, where: str, reason: str) -> Check:
    if reason in LOGIN_REFUSALS:
        who = f"the login of user {cfg.username!r}" if cfg.username else "anonymous clients"
        problem = "does not accept anonymous clients" if not cfg.username else f"refused {who}"
        return Check(BROKER, "FAIL", f"{where} {problem} ({reason})", connack_fix(reason, cfg))
    return Check(
        BROKER, "FAIL", f"{where} refused the connection ({reason})", connack_fix(reason, cfg)
    )


def _client(cfg: MqttConfig, probe: _Probe) -> mqtt.Client:
    client = new_client(cfg, f"{cfg.client_id}-doctor-{os.getpid()}", reconnect_on_failure=False)

    # only the reason matters here: the rest of paho's arguments are passed over
    def on_connect(
        client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, *_: Any
    ) -> None:
        probe.reason, probe.refused = str(reason), reason.is_failure
        probe.connected.set()

    def on_disconnect(client: mqtt.Client, userdata: Any, *rest: Any) -> None:
        probe.connected.set()  # closed before a CONNACK: reason stays None

    def on_subscribe(
        client: mqtt.Client, userdata: Any, mid: int, reasons: list[ReasonCode], *_: Any
    ) -> None:
        probe.sub_denied = any(r.is_failure for r in reasons)
        probe.subscribed.set()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_subscribe = on_subscribe
    return client
