"""TLS: a broker certificate signed by our CA, hostname checks on unless `insecure`."""

from __future__ import annotations

from pathlib import Path

import structlog

from bridge.config.model import MqttConfig, TlsConfig
from bridge.mqtt.connection import MqttConnection
from bridge.mqtt.topics import Topics
from tests.support.broker import MosquittoBroker, wait_until
from tests.support.tls import make_certs

TOPICS = Topics("isolarcloud", "homeassistant")


def tls_broker(tmp_path: Path) -> tuple[MosquittoBroker, Path]:
    ca, cert, key = make_certs(tmp_path / "certs", "mqtt.example.invalid")
    broker = MosquittoBroker(
        tmp_path / "tls-broker",
        extra_conf=f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n",
    )
    broker.start()
    return broker, ca


def connect(broker: MosquittoBroker, tls: TlsConfig) -> MqttConnection:
    cfg = MqttConfig(host=broker.host, port=broker.port, tls=tls)
    conn = MqttConnection(cfg, TOPICS, lambda m: None, reconnect_max_delay=1)
    conn.start()
    return conn


def test_hostname_mismatch_refused_unless_insecure(tmp_path: Path) -> None:
    broker, ca = tls_broker(tmp_path)
    try:
        with structlog.testing.capture_logs() as logs:
            strict = connect(broker, TlsConfig(ca_file=ca))
            wait_until(
                lambda: any(e["event"] == "mqtt.connect_failed" for e in logs), 10, "a failure"
            )
            assert not strict.connected
            strict.stop()
        assert "mqtt.tls" in next(e for e in logs if e["event"] == "mqtt.connect_failed")["fix"]
        insecure = connect(broker, TlsConfig(ca_file=ca, insecure=True))
        assert insecure.wait_connected(10)
        insecure.stop()
    finally:
        broker.stop()


def test_unknown_ca_is_refused_even_when_insecure(tmp_path: Path) -> None:
    broker, _ = tls_broker(tmp_path)
    other_ca, _, _ = make_certs(tmp_path / "other", "mqtt.example.invalid")
    try:
        with structlog.testing.capture_logs() as logs:
            conn = connect(broker, TlsConfig(ca_file=other_ca, insecure=True))
            wait_until(
                lambda: any(e["event"] == "mqtt.connect_failed" for e in logs), 10, "a failure"
            )
            assert not conn.connected
            conn.stop()
    finally:
        broker.stop()
