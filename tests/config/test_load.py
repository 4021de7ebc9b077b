"""Loading valid configs: values, normalisation, secret sources and their order, paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bridge.config.load import (
    default_config_path,
    default_state_dir,
    load_config,
    require_application_id,
    require_cloud_credentials,
)
from bridge.config.model import Config, ConfigError, TlsConfig

APP_KEY = "634184B2F0E94E2D8C1A7B3D5E6F7A8B"


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_empty_file_gives_every_default(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), {})
    assert cfg == Config(path=tmp_path / "config.toml")


def test_every_key_set_is_read_and_normalised(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    for name in ("ca.pem", "client.crt", "client.key"):
        (tmp_path / "certs" / name).write_text("x")
    path = write(
        tmp_path,
        f"""
[isolarcloud]
region = "au"
app_key = "{APP_KEY.lower()}"
secret_key = "s3cr3t-value"
application_id = 815
redirect_uri = "https://example.org/cb/"
language = "_de_DE"
gateway = "http://127.0.0.1:8000"

[mqtt]
host = "broker.lan"
port = 8883
username = "bridge"
password = "p@ss:/word"
client_id = "isolarcloud2mqtt-pi"
base_topic = "home/solar"
protocol = "5"
qos = 0
keepalive = 30

[mqtt.tls]
ca_file = "certs/ca.pem"
cert_file = "certs/client.crt"
key_file = "{tmp_path}/certs/client.key"
insecure = true

[homeassistant]
discovery = false
prefix = "ha"
mode = "device"
expire_after = 1200

[poll]
interval = 60
device_list_interval = 7200
min_refresh_interval = 10
hourly_call_budget = 100000

[plants]
include = [1234567, "7654321"]
exclude = []

[points]
extra = {{ plant = [83012, "83013"], "14" = ["p13150"] }}
exclude = ["pv_power", "battery_soc"]

[output]
json = false
values = true

[logging]
level = "debug"
format = "json"
""",
    )
    cfg = load_config(path, {})
    iso, mqtt = cfg.isolarcloud, cfg.mqtt
    assert (iso.region, iso.app_key, iso.secret_key, iso.application_id) == (
        "au",
        APP_KEY.lower(),
        "s3cr3t-value",
        815,
    )
    assert (iso.redirect_uri, iso.language, iso.gateway) == (
        "https://example.org/cb/",
        "_de_DE",
        "http://127.0.0.1:8000",
    )
    assert (mqtt.host, mqtt.port, mqtt.username, mqtt.password) == (
        "broker.lan",
        8883,
        "bridge",
        "p@ss:/word",
    )
    assert (mqtt.client_id, mqtt.base_topic, mqtt.protocol, mqtt.qos, mqtt.keepalive) == (
        "isolarcloud2mqtt-pi",
        "home/solar",
        "5",
        0,
        30,
    )
    # relative paths are relative to the config file's folder
    assert mqtt.tls == TlsConfig(
        ca_file=tmp_path / "certs/ca.pem",
        cert_file=tmp_path / "certs/client.crt",
        key_file=tmp_path / "certs/client.key",
        insecure=True,
    )
    ha = cfg.homeassistant
    assert (ha.discovery, ha.prefix, ha.mode, ha.expire_after) == (False, "ha", "device", 1200)
    assert cfg.expire_after == 1200
    poll = cfg.poll
    assert (poll.interval, poll.device_list_interval) == (60, 7200)
    assert (poll.min_refresh_interval, poll.hourly_call_budget) == (10, 100000)
    assert cfg.plants.include == ("1234567", "7654321")
    assert cfg.points.extra == {"plant": ("83012", "83013"), "14": ("13150",)}
    assert cfg.points.exclude == ("pv_power", "battery_soc")
    assert (cfg.output.json, cfg.output.values) == (False, True)
    assert (cfg.logging.level, cfg.logging.format) == ("debug", "json")
    assert "s3cr3t-value" not in repr(cfg) and "p@ss" not in repr(cfg)


def test_empty_tls_section_turns_tls_on_with_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "[mqtt.tls]\n"), {})
    assert cfg.mqtt.tls == TlsConfig()
    assert load_config(write(tmp_path, "[mqtt]\n"), {}).mqtt.tls is None


def test_expire_after_zero_means_three_intervals(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "[poll]\ninterval = 600\n"), {})
    assert cfg.expire_after == 1800


def test_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert str(caught.value).startswith(f"{path}: no such file")
    assert "isolarcloud2mqtt config init" in str(caught.value)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"is a directory; pass the file"):
        load_config(tmp_path, {})


def _load_error_unprivileged(path: Path) -> str:
    """load_config's error message, from a process that cannot bypass file permissions."""
    if os.geteuid() != 0:
        with pytest.raises(ConfigError) as caught:
            load_config(path, {})
        return str(caught.value)
    # root reads any file: fork, drop to nobody in the child (no exec needed), report back
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        message = "no error"
        try:
            os.setgid(65534)
            os.setuid(65534)
            load_config(path, {})
        except ConfigError as exc:
            message = str(exc)
        finally:
            os.write(write_end, message.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(pid, 0)
    return message


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "[mqtt]\n")
    path.chmod(0)
    assert _load_error_unprivileged(path) == (
        f"{path}: cannot read it (permission denied); make it readable by the user running "
        "the bridge (e.g. chmod 0640 and chgrp that user's group)"
    )


# --- secrets -------------------------------------------------------------------------


@pytest.fixture
def creds(tmp_path: Path) -> Path:
    folder = tmp_path / "credentials"
    folder.mkdir()
    (folder / "secret_key").write_text("from-credential\n")
    (folder / "mqtt_password").write_text("pw-credential\n")
    return folder


def _secret_files(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("from-file\r\n")
    (tmp_path / "mqtt_password").write_text("pw-file")


def test_secret_in_the_file_wins_over_every_other_source(tmp_path: Path, creds: Path) -> None:
    path = write(tmp_path, '[isolarcloud]\nsecret_key = "inline"\n[mqtt]\npassword = "pw-inline"\n')
    env = {
        "CREDENTIALS_DIRECTORY": str(creds),
        "ISOLARCLOUD_SECRET_KEY": "from-env",
        "ISOLARCLOUD_MQTT_PASSWORD": "pw-env",
    }
    cfg = load_config(path, env)
    assert (cfg.isolarcloud.secret_key, cfg.mqtt.password) == ("inline", "pw-inline")


def test_file_key_wins_over_credential_and_env(tmp_path: Path, creds: Path) -> None:
    _secret_files(tmp_path)
    path = write(
        tmp_path,
        '[isolarcloud]\nsecret_key_file = "secret_key"\n'
        f'[mqtt]\npassword = ""\npassword_file = "{tmp_path}/mqtt_password"\n',
    )
    env = {"CREDENTIALS_DIRECTORY": str(creds), "ISOLARCLOUD_SECRET_KEY": "from-env"}
    cfg = load_config(path, env)
    assert (cfg.isolarcloud.secret_key, cfg.mqtt.password) == ("from-file", "pw-file")


def test_credential_wins_over_env(tmp_path: Path, creds: Path) -> None:
    env = {
        "CREDENTIALS_DIRECTORY": str(creds),
        "ISOLARCLOUD_SECRET_KEY": "from-env",
        "ISOLARCLOUD_MQTT_PASSWORD": "pw-env",
    }
    cfg = load_config(write(tmp_path, ""), env)
    assert (cfg.isolarcloud.secret_key, cfg.mqtt.password) == ("from-credential", "pw-credential")


def test_env_is_the_last_source(tmp_path: Path) -> None:
    env = {
        "CREDENTIALS_DIRECTORY": str(tmp_path / "empty-credentials"),
        "ISOLARCLOUD_SECRET_KEY": "from-env",
        "ISOLARCLOUD_MQTT_PASSWORD": "pw-env",
        "ISOLARCLOUD_APP_KEY": APP_KEY,
    }
    cfg = load_config(write(tmp_path, ""), env)
    assert (cfg.isolarcloud.secret_key, cfg.mqtt.password) == ("from-env", "pw-env")
    assert cfg.isolarcloud.app_key == APP_KEY


def test_app_key_in_the_file_wins_over_env(tmp_path: Path) -> None:
    path = write(tmp_path, f'[isolarcloud]\napp_key = "{APP_KEY}"\n')
    cfg = load_config(path, {"ISOLARCLOUD_APP_KEY": "0" * 32})
    assert cfg.isolarcloud.app_key == APP_KEY


def test_bad_app_key_from_env_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, ""), {"ISOLARCLOUD_APP_KEY": "xyz"})
    assert str(caught.value) == (
        f"{tmp_path}/config.toml: [isolarcloud] app_key (from $ISOLARCLOUD_APP_KEY) = 'xyz': "
        "expected 32 hex characters, as the developer portal shows it"
    )


def test_unreadable_credential_is_named_without_its_value(tmp_path: Path) -> None:
    folder = tmp_path / "credentials"
    (folder / "mqtt_password").mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, ""), {"CREDENTIALS_DIRECTORY": str(folder)})
    message = str(caught.value)
    assert message.startswith(f"{tmp_path}/config.toml: credential mqtt_password = ")
    assert "cannot read the file (Is a directory)" in message


def test_missing_secret_is_not_a_load_error_but_required_later(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, ""), {})
    with pytest.raises(ConfigError) as caught:
        require_cloud_credentials(cfg)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path}/config.toml: [isolarcloud] app_key: missing")
    for source in (
        "ISOLARCLOUD_APP_KEY",
        "[isolarcloud] secret_key: missing",
        "secret_key_file",
        "LoadCredential=secret_key:",
        "ISOLARCLOUD_SECRET_KEY",
    ):
        assert source in message


def test_only_the_missing_credential_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, f'[isolarcloud]\napp_key = "{APP_KEY}"\n')
    with pytest.raises(ConfigError) as caught:
        require_cloud_credentials(load_config(path, {}))
    assert "app_key" not in str(caught.value)
    assert "secret_key: missing" in str(caught.value)
    require_cloud_credentials(load_config(path, {"ISOLARCLOUD_SECRET_KEY": "k"}))


def test_application_id_required_for_authorisation(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[isolarcloud\] application_id: missing"):
        require_application_id(load_config(write(tmp_path, ""), {}))
    require_application_id(load_config(write(tmp_path, "[isolarcloud]\napplication_id = 7\n"), {}))


# --- default paths -------------------------------------------------------------------


def test_default_paths_follow_systemd_directories() -> None:
    assert default_config_path({}) == Path("/etc/isolarcloud2mqtt/config.toml")
    assert default_config_path({"CONFIGURATION_DIRECTORY": "/etc/x"}) == Path("/etc/x/config.toml")
    assert default_config_path({"CONFIGURATION_DIRECTORY": "/a:/b"}) == Path("/a/config.toml")
    assert default_state_dir({}) == Path("/var/lib/isolarcloud2mqtt")
    assert default_state_dir({"STATE_DIRECTORY": ""}) == Path("/var/lib/isolarcloud2mqtt")
    assert default_state_dir({"STATE_DIRECTORY": "/var/lib/i2m"}) == Path("/var/lib/i2m")
    assert default_state_dir({"STATE_DIRECTORY": "/s1:/s2"}) == Path("/s1")


def test_env_defaults_to_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISOLARCLOUD_SECRET_KEY", "process-env")
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    assert load_config(write(tmp_path, "")).isolarcloud.secret_key == "process-env"
