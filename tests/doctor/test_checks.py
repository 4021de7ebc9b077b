"""doctor against the simulator over real HTTP and a real Mosquitto, good and broken."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import certifi

from bridge.config.model import TlsConfig
from bridge.doctor import exit_code, render
from bridge.doctor.cloud import check_authorisation_page
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.simulator import DEMO_SECRET_KEY
from bridge.simulator.mosquitto import BrokerUser
from tests.doctor.conftest import Setup, start_cloud, statuses
from tests.support.broker import MosquittoBroker, Watcher, free_port
from tests.support.rig import make_config

ALL = [
    "config",
    "authorisation page",
    "broker",
    "discovery prefix",
    "discovery mode",
    "home assistant",
    "token file",
    "api",
    "clock",
    "call budget",
    "state directory",
    "config secrets",
]


def ha_online(broker: MosquittoBroker) -> None:
    """What Home Assistant does at start: a retained birth message."""
    watcher = Watcher(broker, ["homeassistant/status"])
    try:
        watcher.publish("homeassistant/status", "online", retain=True)
    finally:
        watcher.close()


def test_all_ok_after_login(setup: Setup, broker: MosquittoBroker) -> None:
    setup.login()
    ha_online(broker)
    checks = setup.run(birth_wait=5)
    assert list(checks) == ALL
    assert statuses(checks) == dict.fromkeys(ALL, "OK"), render(list(checks.values()))
    assert exit_code(list(checks.values())) == 0
    assert "Home Assistant is listening" in checks["home assistant"].message
    ids = [str(p.ps_id) for p in setup.sim.plants]
    assert all(ps_id in checks["api"].message for ps_id in ids)
    text = render(list(checks.values()))
    tokens = TokenStore(token_path(setup.state_dir)).load()
    assert tokens is not None
    for secret in (DEMO_SECRET_KEY, tokens.access_token, tokens.refresh_token):
        assert secret not in text


def test_no_birth_message_warns(setup: Setup) -> None:
    setup.login()
    checks = setup.run(birth_wait=0.5)
    ha = checks["home assistant"]
    assert ha.status == "WARN"
    assert "no retained birth message on homeassistant/status" in ha.message
    assert exit_code(list(checks.values())) == 0  # a warning is not a failure


def test_other_prefix_warns_and_watches_that_prefix(setup: Setup, broker: MosquittoBroker) -> None:
    setup.login()
    setup.cfg = replace(setup.cfg, homeassistant=replace(setup.cfg.homeassistant, prefix="ha"))
    checks = setup.run()
    assert checks["discovery prefix"].status == "WARN"
    assert 'prefix = "homeassistant"' in checks["discovery prefix"].fix
    assert "ha/status" in checks["home assistant"].message


def test_device_mode_warns_that_older_openhab_cannot_read_it(setup: Setup) -> None:
    setup.login()
    ha = setup.cfg.homeassistant
    setup.cfg = replace(setup.cfg, homeassistant=replace(ha, mode="device"))
    checks = setup.run()
    mode = checks["discovery mode"]
    assert mode.status == "WARN"
    assert "openHAB" in mode.message
    assert "#20225" in mode.message
    assert 'mode = "entity"' in mode.fix
    assert exit_code(list(checks.values())) == 0
    setup.cfg = replace(setup.cfg, homeassistant=replace(ha, mode="device", discovery=False))
    assert setup.run()["discovery mode"].status == "OK"  # nothing is published to misread


def test_broker_down(setup: Setup) -> None:
    setup.login()
    setup.mqtt(port=free_port())
    checks = setup.run()
    assert checks["broker"].status == "FAIL"
    assert "refused: no broker listens there" in checks["broker"].message
    assert checks["home assistant"].status == "SKIP"
    assert checks["home assistant"].message.startswith("skipped: ")
    assert checks["api"].status == "OK"  # the cloud side is still checked
    assert exit_code(list(checks.values())) == 1


def test_broker_logins(setup: Setup, tmp_path: Path) -> None:
    unsafe = "p@ss:w/rd%#?"
    secured = MosquittoBroker(
        tmp_path / "secured",
        users=(BrokerUser("bridge", unsafe), BrokerUser("other", "right-password")),
    )
    secured.start()
    try:
        setup.mqtt(host=secured.host, port=secured.port, username="bridge", password=unsafe)
        accepted = setup.run()["broker"]
        assert accepted.status == "OK", accepted
        assert "as user 'bridge'" in accepted.message

        setup.mqtt(username="other", password="wrong-password")
        refused = setup.run()
        assert refused["broker"].status == "FAIL"
        assert "refused the login of user 'other'" in refused["broker"].message
        assert "password" in refused["broker"].fix
        assert "wrong-password" not in render(list(refused.values()))
        assert refused["home assistant"].status == "SKIP"

        setup.mqtt(username="", password="")
        anonymous = setup.run()["broker"]
        assert anonymous.status == "FAIL"
        assert "does not accept anonymous clients" in anonymous.message
    finally:
        secured.stop()


def test_tls_against_a_plain_port(setup: Setup) -> None:
    setup.mqtt(tls=TlsConfig(ca_file=Path(certifi.where())))
    broker = setup.run()["broker"]
    assert broker.status == "FAIL"
    assert "TLS handshake" in broker.message
    assert "8883" in broker.fix


def test_missing_token_file(setup: Setup) -> None:
    checks = setup.run()
    assert checks["token file"].status == "FAIL"
    assert "no token file" in checks["token file"].message
    assert "auth login" in checks["token file"].fix
    assert checks["api"].status == "SKIP"
    assert checks["call budget"].status == "SKIP"
    assert checks["clock"].status == "OK"  # /timestamp needs no authorisation
    assert exit_code(list(checks.values())) == 1


def test_revoked_authorisation(setup: Setup) -> None:
    setup.login()
    setup.sim.revoke()
    checks = setup.run()
    assert checks["token file"].status == "OK"  # the file looks fine; the cloud says no
    assert checks["api"].status == "FAIL"
    assert "auth login" in checks["api"].fix
    assert checks["call budget"].status == "SKIP"


def test_wrong_secret_key(setup: Setup) -> None:
    setup.login()
    wrong = "wrongsecretwrongsecretwrongsecre"
    setup.cfg = replace(setup.cfg, isolarcloud=replace(setup.cfg.isolarcloud, secret_key=wrong))
    checks = setup.run()
    api = checks["api"]
    assert api.status == "FAIL"
    assert "E912" in api.message
    assert "secret_key" in api.fix
    assert wrong not in render(list(checks.values()))


def test_rate_limited_warns(setup: Setup) -> None:
    setup.login()
    setup.sim.faults.add("e999", path="queryPowerStationList")
    api = setup.run()["api"]
    assert api.status == "WARN"
    assert "E999" in api.message
    assert api.fix.startswith("wait ")


def test_gateway_unreachable(setup: Setup) -> None:
    setup.login()
    gateway = f"http://127.0.0.1:{free_port()}"
    setup.cfg = replace(setup.cfg, isolarcloud=replace(setup.cfg.isolarcloud, gateway=gateway))
    checks = setup.run()
    assert checks["api"].status == "FAIL"
    assert "region" in checks["api"].fix
    assert checks["clock"].status == "WARN"


def test_budget_over_says_how_often_the_daemon_will_poll(setup: Setup) -> None:
    setup.login()
    setup.cfg = replace(setup.cfg, poll=replace(setup.cfg.poll, hourly_call_budget=60))
    budget = setup.run()["call budget"]
    assert budget.status == "WARN"  # the daemon runs, less often: not a failure
    assert "hourly_call_budget = 60" in budget.message
    assert "the daemon polls every" in budget.message
    assert "raise [poll] interval to at least" in budget.fix


def test_budget_near(setup: Setup) -> None:
    setup.login()
    est_ok = setup.run()["call budget"]
    used = int(est_ok.message.split("about ")[1].split(" ")[0])
    setup.cfg = replace(setup.cfg, poll=replace(setup.cfg.poll, hourly_call_budget=used + 1))
    budget = setup.run()["call budget"]
    assert budget.status == "WARN"
    assert f"of {used + 1} API calls an hour" in budget.message


def test_clock_skew(tmp_path: Path, broker: MosquittoBroker) -> None:
    for skew, status in ((-120, "WARN"), (600, "FAIL")):
        sim, server = start_cloud(skew_s=skew)
        try:
            setup = Setup(sim, server, make_config(server.url, broker), tmp_path / str(skew))
            clock = setup.run()["clock"]
        finally:
            server.close()
        assert clock.status == status, clock
        assert "timedatectl set-ntp true" in clock.fix
        assert ("ahead of" if skew < 0 else "behind") in clock.message


def test_missing_credentials_skip_the_cloud(setup: Setup) -> None:
    setup.cfg = replace(setup.cfg, isolarcloud=replace(setup.cfg.isolarcloud, secret_key=""))
    checks = setup.run()
    assert checks["config"].status == "FAIL"
    assert "secret_key" in checks["config"].fix
    assert [checks[n].status for n in ("api", "clock", "call budget")] == ["SKIP"] * 3
    assert checks["broker"].status == "OK"


def test_the_authorisation_page_is_where_auth_login_sends_the_owner(setup: Setup) -> None:
    page = setup.run()["authorisation page"]
    assert page.status == "OK"
    assert f"sends the owner to {setup.server.url} (cloudId 3, applicationId 4242" in page.message
    # the check alone: no call leaves for a real region's hosts
    china = replace(setup.cfg.isolarcloud, region="cn", gateway=None)
    message = check_authorisation_page(replace(setup.cfg, isolarcloud=china)).message
    assert "to https://web3.isolarcloud.com (cloudId 1" in message
    china = replace(china, web_url="https://web3.isolarcloud.com.cn/")
    message = check_authorisation_page(replace(setup.cfg, isolarcloud=china)).message
    assert "to https://web3.isolarcloud.com.cn (cloudId 1" in message
    unset = replace(setup.cfg.isolarcloud, application_id=0)
    assert check_authorisation_page(replace(setup.cfg, isolarcloud=unset)).status == "WARN"
