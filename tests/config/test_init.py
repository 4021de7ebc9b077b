"""`config init`: the questions, re-asking bad answers, and the file it writes."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest

from bridge.config.load import load_config
from bridge.config.model import ConfigError
from bridge.config.starter import (
    StarterAnswers,
    ask_starter_answers,
    config_init,
    write_starter_config,
)

APP_KEY = "634184B2F0E94E2D8C1A7B3D5E6F7A8B"
ANSWERS = StarterAnswers(
    region="au",
    app_key=APP_KEY,
    secret_key="top-secret-key",
    application_id=815,
    redirect_uri="http://127.0.0.1:9000/cb",
    mqtt_host="broker.lan",
    mqtt_port=1884,
    mqtt_username="bridge",
    mqtt_password='pa"ss\\word',
)


def test_written_file_loads_back_with_the_answers(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    write_starter_config(path, ANSWERS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    cfg = load_config(path, {})
    iso, mqtt = cfg.isolarcloud, cfg.mqtt
    assert (iso.region, iso.app_key, iso.secret_key) == ("au", APP_KEY, "top-secret-key")
    assert (iso.application_id, iso.redirect_uri) == (815, "http://127.0.0.1:9000/cb")
    assert (mqtt.host, mqtt.port, mqtt.username, mqtt.password) == (
        "broker.lan",
        1884,
        "bridge",
        'pa"ss\\word',
    )
    text = path.read_text()
    assert text.startswith("# isolarcloud2mqtt configuration, written by")
    assert "# [mqtt.tls]" in text and "# the broker's host name or IP address" in text


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("# mine\n")
    with pytest.raises(ConfigError) as caught:
        write_starter_config(path, ANSWERS)
    assert str(caught.value) == f"{path}: already exists; edit it, or pass --force to replace it"
    assert path.read_text() == "# mine\n"
    write_starter_config(path, ANSWERS, force=True)
    assert load_config(path, {}).isolarcloud.app_key == APP_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_questions_re_ask_bad_answers(tmp_path: Path) -> None:
    replies = [
        "europe",  # region: refused
        "eu",
        "1234",  # app key: refused
        APP_KEY.lower(),
        "the-secret",
        "12ab",  # application id: refused
        "4321",
        "localhost:8765/callback",  # redirect: refused
        "",  # default redirect
        "mqtt://broker",  # host: refused
        "broker",
        "70000",  # port: refused
        "",  # default port
        "user1",
        "pw1",
    ]
    stdout = io.StringIO()
    answers = ask_starter_answers(io.StringIO("\n".join(replies) + "\n"), stdout)
    # region, app key, secret key, application id, redirect URI, then the broker's
    expected = ("eu", APP_KEY.lower(), "the-secret", 4321, "http://localhost:8765/callback")
    assert answers == StarterAnswers(*expected, "broker", 1883, "user1", "pw1")
    out = stdout.getvalue()
    assert out.count("not accepted:") == 6
    assert "not accepted: expected one of cn, intl, eu, au, in" in out
    assert "not accepted: out of range; use a whole number from 1 to 65535" in out
    assert "the-secret" not in out and "pw1" not in out
    assert "the-secret" not in repr(answers) and "pw1" not in repr(answers)


def test_enter_keeps_defaults_and_no_password_without_user() -> None:
    answers = ask_starter_answers(io.StringIO("\n" * 8), io.StringIO())
    assert answers == StarterAnswers()


def test_input_ending_early_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="input ended before every question was answered"):
        ask_starter_answers(io.StringIO("eu\n"), io.StringIO())


def test_config_init_asks_and_writes(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "config.toml"
    stdout = io.StringIO()
    replies = io.StringIO(f"in\n{APP_KEY}\nsk\n99\n\nlocalhost\n\n\n")
    assert config_init(path, force=False, stdin=replies, stdout=stdout) == 0
    cfg = load_config(path, {})
    assert (cfg.isolarcloud.region, cfg.isolarcloud.application_id) == ("in", 99)
    assert f"Wrote {path} (mode 0600)" in stdout.getvalue()
    assert "auth login" in stdout.getvalue()


def test_config_init_refuses_before_asking(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    stdout = io.StringIO()
    with pytest.raises(ConfigError, match="--force"):
        config_init(path, force=False, stdin=io.StringIO(""), stdout=stdout)
    assert stdout.getvalue() == ""
    assert config_init(path, force=True, stdin=io.StringIO(""), stdout=stdout, answers=ANSWERS) == 0
    assert load_config(path, {}).mqtt.port == 1884


def test_unwritable_target_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match=r"cannot write it \(.+\); choose another --config path"):
        write_starter_config(blocker / "config.toml", ANSWERS)
