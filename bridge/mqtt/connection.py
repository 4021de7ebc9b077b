"""The only owner of the paho client: connect, last will, retained set, republish.

Retained messages are kept as "latest payload per topic" and re-sent on every connect,
so a broker restart (mosquitto keeps no retained messages without persistence) or an
outage loses nothing, and nothing piles up while the broker is away: retained messages
are only recorded, non-retained ones are dropped and counted.

paho runs every callback in its network thread. Callbacks here only update flags, hand
incoming messages to the given callback, or start a resend: in a thread of its own (it
may wait for acknowledgements, see `FlowControl`), one at a time.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from bridge.config.model import MqttConfig
from bridge.mqtt.commands import Incoming
from bridge.mqtt.flow import MAX_UNACKED, FlowControl
from bridge.mqtt.paho_client import connack_fix, new_client
from bridge.mqtt.topics import Topics

log = structlog.get_logger(__name__)

ONLINE = "online"
OFFLINE = "offline"
RECONNECT_MIN_DELAY = 1
RECONNECT_MAX_DELAY = 60
SUBACK_TIMEOUT = 10.0


def random_ha_delay() -> float:
    """HA asks for a random delay before answering its birth message."""
    return random.uniform(1.0, 5.0)


@dataclass(slots=True)
class _Retained:
    payload: bytes
    qos: int
    properties: Properties | None


class MqttConnection:
    """Owns one paho client; `publish` may be called from any thread."""

    def __init__(
        self,
        cfg: MqttConfig,
        topics: Topics,
        on_message: Callable[[Incoming], None],
        *,
        client_id_suffix: str = "",
        ha_delay: Callable[[], float] = random_ha_delay,
        reconnect_max_delay: int = RECONNECT_MAX_DELAY,
        max_unacked: int = MAX_UNACKED,
    ) -> None:
        self._cfg = cfg
        self._topics = topics
        self._on_message = on_message
        self._ha_delay = ha_delay
        self._reconnect_max_delay = reconnect_max_delay
        self._client_id = cfg.client_id + client_id_suffix
        # One lock serialises "record + send" against "connect + resend everything", so a
        # stale value from a republish can never overtake a newer one. It is never taken
        # by code that paho itself holds a lock for, so it cannot deadlock with paho.
        self._lock = threading.RLock()
        self._retained: dict[str, _Retained] = {}
        self._connected = threading.Event()
        self._subscribed = threading.Event()  # the SUBACK of this connection came
        self._synced = threading.Event()  # connected, subscribed, the retained set re-sent
        self._connections = 0
        self._flow = FlowControl(max_unacked)
        # State shared by paho's thread, timers and callers: guarded by its own lock.
        self._state = threading.Lock()
        self._stopping = False
        self._timer: threading.Timer | None = None
        self._subscribe_mid: int | None = None
        self._resending = False
        self._resend_again = False
        self.dropped = 0
        self._client = self._make_client()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def reconnects(self) -> int:
        return max(0, self._connections - 1)

    @property
    def v5(self) -> bool:
        return self._cfg.protocol == "5"

    def retained(self) -> dict[str, bytes]:
        """The retained set as recorded: latest payload per topic (b"" = clear pending)."""
        with self._lock:
            return {topic: entry.payload for topic, entry in self._retained.items()}

    def wait_connected(self, timeout: float) -> bool:
        """Wait until connected and the retained set has been re-sent over the connection."""
        return self._synced.wait(timeout)

    def _make_client(self) -> mqtt.Client:
        client = new_client(self._cfg, self._client_id)
        client.will_set(self._topics.bridge_state, OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_DELAY, self._reconnect_max_delay)
        client.on_connect = self._handle_connect
        client.on_connect_fail = self._handle_connect_fail
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_publish = self._handle_publish
        client.on_subscribe = self._handle_subscribe
        return client

    def start(self) -> None:
        """Connect in the background (retrying until the broker answers); never blocks."""
        with self._lock:
            self._retained[self._topics.bridge_state] = _Retained(ONLINE.encode(), 1, None)
        self._client.connect_async(self._cfg.host, self._cfg.port, keepalive=self._cfg.keepalive)
        self._client.loop_start()

    def publish(
        self,
        topic: str,
        payload: str | bytes,
        *,
        retain: bool = False,
        qos: int | None = None,
        properties: Properties | None = None,
    ) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        level = self._cfg.qos if qos is None else qos
        if not self._flow.wait_for_room(lambda: self.connected):
            # the broker does not keep up: keep the latest value, it goes out on resend
            with self._lock:
                if retain:
                    self._retained[topic] = _Retained(data, level, properties)
                else:
                    self.dropped += 1
            log.warning("mqtt.backlog_full", topic=topic, unacked=self._flow.unacked)
            return
        with self._lock:
            if retain:
                self._retained[topic] = _Retained(data, level, properties)
            if not self.connected:
                if not retain:
                    self.dropped += 1
                return
            self._send(topic, data, level, retain, properties)
            if retain and not data:
                del self._retained[topic]

    def republish_all(self) -> None:
        """Send the whole retained set again (after a connect, or Home Assistant restarted).

        Each topic goes out with its value at that moment, so a newer value published
        meanwhile by another thread is never overtaken by an older one.
        """
        with self._lock:
            topics = list(self._retained)
        for topic in topics:
            if not self.connected or not self._flow.wait_for_room(lambda: self.connected):
                return
            with self._lock:
                entry = self._retained.get(topic)
                if entry is None or not self.connected:
                    continue
                self._send(topic, entry.payload, entry.qos, True, entry.properties)
                if not entry.payload:  # a clear, now delivered: nothing left to remember
                    del self._retained[topic]

    def _start_resend(self) -> None:
        """Resend the retained set in a thread of its own; one at a time, and a connect
        that comes while one runs makes it go round once more."""
        with self._state:
            if self._resending:
                self._resend_again = True
                return
            self._resending = True
        threading.Thread(target=self._resend, name="mqtt-resend", daemon=True).start()

    def _resend(self) -> None:
        while True:
            with self._lock:
                generation = self._connections
            self.republish_all()
            if self._subscribed.wait(SUBACK_TIMEOUT):
                with self._lock:
                    if self.connected and generation == self._connections:
                        self._synced.set()
            with self._state:
                if not self._resend_again:
                    self._resending = False
                    return
                self._resend_again = False

    def stop(self, timeout: float = 5) -> None:
        """Publish `offline`, wait for the broker to have it, disconnect, stop the thread."""
        with self._state:
            self._stopping = True
            if self._timer is not None:
                self._timer.cancel()
        with self._lock:
            self._retained[self._topics.bridge_state] = _Retained(OFFLINE.encode(), 1, None)
            connected = self.connected
            if connected:
                info = self._client.publish(self._topics.bridge_state, OFFLINE, qos=1, retain=True)
        if connected:
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as exc:
                log.warning("mqtt.offline_not_sent", reason=str(exc))
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()

    def _send(
        self, topic: str, data: bytes, qos: int, retain: bool, properties: Properties | None
    ) -> None:
        self._flow.sending()  # before publish: paho may call on_publish from inside it
        info = self._client.publish(topic, data, qos=qos, retain=retain, properties=properties)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._flow.not_sent()
            if info.rc != MQTTErrorCode.MQTT_ERR_NO_CONN:
                log.warning("mqtt.publish_failed", topic=topic, rc=mqtt.error_string(info.rc))

    def _handle_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._flow.acked()

    # --- paho callbacks (network thread) -------------------------------------------------

    def _handle_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            name = str(reason)
            log.error(
                "mqtt.connect_failed",
                host=self._cfg.host,
                port=self._cfg.port,
                username=self._cfg.username or None,
                reason=name,
                fix=connack_fix(name, self._cfg),
            )
            return
        # Messages paho kept from the last session are older than our retained set;
        # resending them after it would overwrite newer values.
        stale = client.drop_out_messages()
        self._subscribed.clear()
        with self._state:
            _, self._subscribe_mid = client.subscribe(
                [(self._topics.request_wildcard, 1), (self._topics.ha_status, 1)],
            )
        self._flow.network_thread = threading.get_ident()
        self._flow.reset()
        with self._lock:
            self.dropped += sum(1 for m in stale if not m.retain)
            self._connections += 1
            self._connected.set()
        self._synced.clear()
        self._start_resend()
        log.info(
            "mqtt.connected",
            host=self._cfg.host,
            port=self._cfg.port,
            client_id=self._client_id,
            reconnects=self.reconnects,
        )

    def _handle_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        with self._state:
            ours = mid == self._subscribe_mid
        if not ours:
            return
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            log.error(
                "mqtt.subscribe_refused",
                topics=[self._topics.request_wildcard, self._topics.ha_status],
                reasons=refused,
                fix="allow the bridge's user to read these topics in the broker's ACL",
            )
        self._subscribed.set()

    def _handle_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        log.warning(
            "mqtt.connect_failed",
            host=self._cfg.host,
            port=self._cfg.port,
            reason="no connection (refused, unreachable, or the TLS handshake failed)",
            fix="check mqtt.host, mqtt.port and mqtt.tls, and that the broker is running",
        )

    def _handle_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        was_connected = self.connected
        self._connected.clear()
        self._synced.clear()
        self._flow.release()
        with self._state:
            stopping = self._stopping
        if was_connected:
            level = log.info if stopping else log.warning
            level("mqtt.disconnected", reason=str(reason), stopping=stopping)
        elif not stopping:
            # dropped before CONNACK: with TLS 1.3 a broker that wants a client certificate
            # (or rejects ours) closes the connection only after the handshake "succeeded"
            log.warning(
                "mqtt.connect_failed",
                host=self._cfg.host,
                port=self._cfg.port,
                reason=f"the broker closed the connection before accepting it ({reason})",
                fix="check the broker's log; with TLS, check mqtt.tls cert_file and key_file",
            )

    def _handle_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == self._topics.ha_status:
            if msg.payload == ONLINE.encode():
                self._schedule_republish()
            return
        props = msg.properties
        response_topic = getattr(props, "ResponseTopic", None) if props else None
        correlation = getattr(props, "CorrelationData", None) if props else None
        incoming = Incoming(
            topic=msg.topic,
            payload=bytes(msg.payload),
            retain=bool(msg.retain),
            response_topic=response_topic,
            correlation_data=bytes(correlation) if correlation is not None else None,
        )
        try:
            self._on_message(incoming)
        except Exception:
            # An exception escaping a callback would end paho's network thread.
            log.exception("mqtt.handler_failed", topic=msg.topic)

    def _schedule_republish(self) -> None:
        with self._state:
            if self._stopping:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self._ha_delay(), self.republish_all)
            self._timer.daemon = True
            self._timer.start()
