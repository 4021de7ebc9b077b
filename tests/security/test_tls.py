"""TLS to Mosquitto, configured through the real config loader from a TOML file.

One broker, three TLS listeners beside its plain one (where the watcher listens):
the right server certificate, a certificate for another host name, and the right one
with client certificates required (the certificate's CN is the MQTT user, no password).
Certificates come from `openssl`, made fresh for each test module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge.config.load import load_config
from bridge.mqtt.connection import MqttConnection
from bridge.mqtt.topics import Topics
from tests.security.rig import secure_rig, write_config
from tests.support.broker import MosquittoBroker, free_port, wait_until
from tests.support.rig import Rig
from tests.support.tls import Ca, make_ca, tls_listener

BAD_NAME = "mqtt.example.invalid"
TLS_ERROR = "OpenSSL Error"


@dataclass
class TlsWorld:
    broker: MosquittoBroker
    ca: Ca
    other_ca: Ca
    good: int  # ports of the TLS listeners
    wrong_name: int
    client_certs: int
    client_cert: Path
    client_key: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsWorld]:
    folder = tmp_path_factory.mktemp("tls")
    ca, other_ca = make_ca(folder / "ca"), make_ca(folder / "other-ca", "other-ca")
    cert, key = ca.issue(folder / "server", "localhost", san="DNS:localhost,IP:127.0.0.1")
    bad_cert, bad_key = ca.issue(folder / "server", BAD_NAME)
    client_cert, client_key = ca.issue(folder / "client", "bridge", client=True)
    good, wrong_name, client_certs = free_port(), free_port(), free_port()
    host = "127.0.0.1"
    broker = MosquittoBroker(
        folder / "broker",
        extra_conf=tls_listener(good, host, ca.cert, cert, key)
        + tls_listener(wrong_name, host, ca.cert, bad_cert, bad_key)
        + tls_listener(client_certs, host, ca.cert, cert, key, client_certs=True),
    )
    broker.start()
    yield TlsWorld(broker, ca, other_ca, good, wrong_name, client_certs, client_cert, client_key)
    broker.stop()


def broker_log(world: TlsWorld) -> str:
    return (world.broker.workdir / "mosquitto.log").read_text(errors="replace")


def connects(world: TlsWorld, folder: Path, port: int, tls: Mapping[str, object]) -> bool:
    """Whether a bridge connection configured by a TOML [mqtt.tls] table gets through.

    The broker's log tells a refusal, whichever side gave up on the handshake: paho on a
    bad server certificate, or the broker on a client without a certificate (under TLS
    1.3 the client then sees only a closed connection, after its handshake was done).
    """
    path = write_config(
        folder, "http://127.0.0.1:9", world.broker.host, port, tls=tls, username=None
    )
    cfg = load_config(path, {})
    assert cfg.mqtt.tls is not None
    conn = MqttConnection(
        cfg.mqtt, Topics(cfg.mqtt.base_topic, cfg.homeassistant.prefix), lambda m: None,
        reconnect_max_delay=1,
    )  # fmt: skip
    before = broker_log(world).count(TLS_ERROR)
    conn.start()
    try:
        wait_until(
            lambda: conn.connected or broker_log(world).count(TLS_ERROR) > before,
            10,
            "a connection or a refusal",
        )
        return conn.connected
    finally:
        conn.stop()


def refused(
    world: TlsWorld, reason: str, folder: Path, port: int, tls: Mapping[str, object]
) -> bool:
    """No connection, and the broker logged the handshake failing for `reason`."""
    seen = broker_log(world).count(reason)
    return not connects(world, folder, port, tls) and broker_log(world).count(reason) > seen


def test_right_ca_and_host_name_connect(world: TlsWorld, tmp_path: Path) -> None:
    assert connects(world, tmp_path, world.good, {"ca_file": str(world.ca.cert)})


def test_another_ca_is_refused(world: TlsWorld, tmp_path: Path) -> None:
    other = {"ca_file": str(world.other_ca.cert)}
    assert refused(world, "unknown ca", tmp_path, world.good, other)


def test_certificate_for_another_host_is_refused_unless_insecure(
    world: TlsWorld, tmp_path: Path
) -> None:
    ca = str(world.ca.cert)
    for name, tls in (
        ("strict", {"ca_file": ca}),
        ("explicit", {"ca_file": ca, "insecure": False}),
    ):
        assert refused(world, "bad certificate", tmp_path / name, world.wrong_name, tls)
    assert connects(
        world, tmp_path / "insecure", world.wrong_name, {"ca_file": ca, "insecure": True}
    )


def test_without_a_client_certificate_the_broker_refuses(world: TlsWorld, tmp_path: Path) -> None:
    tls = {"ca_file": str(world.ca.cert)}
    reason = "peer did not return a certificate"
    assert refused(world, reason, tmp_path, world.client_certs, tls)


@pytest.fixture
def cert_rig(world: TlsWorld, tmp_path: Path) -> Iterator[Rig]:
    tls = {
        "ca_file": str(world.ca.cert),
        "cert_file": str(world.client_cert),
        "key_file": str(world.client_key),
    }
    yield from secure_rig(
        tmp_path, world.broker, port=world.client_certs, tls=tls, username=None, watcher=None
    )


def test_the_daemon_over_tls_with_a_client_certificate(cert_rig: Rig) -> None:
    """No password anywhere: the client certificate is the bridge's identity."""
    assert (cert_rig.cfg.mqtt.username, cert_rig.cfg.mqtt.password) == ("", "")
    running = cert_rig.start()
    try:
        hybrid = cert_rig.plant_ids[0]
        assert cert_rig.state(hybrid)["pv_power"] > 0
        cert_rig.wait_text("isolarcloud/bridge/state", "online")
        running.settle()
        answer = cert_rig.request(json.dumps({"plant": hybrid, "transaction": "tls"}), "tls")
        assert answer["status"] == "ok"
    finally:
        assert running.stop() == 0
    states = cert_rig.watcher.on  # the shared broker may hold an older "offline"
    wait_until(lambda: states("isolarcloud/bridge/state")[-1].text == "offline", 5, "offline")
