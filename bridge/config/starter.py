"""`config init`: ask the few questions a first config needs and write it, commented, 0600."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bridge.config.checks import Invalid
from bridge.config.model import ConfigError, IsolarcloudConfig, MqttConfig
from bridge.config.render import render_toml
from bridge.config.schema import schema
from bridge.platform.atomic import write_atomic

_ISO, _MQTT = IsolarcloudConfig(), MqttConfig()  # their defaults (slots hide class attributes)

HEADER = (
    "# isolarcloud2mqtt configuration, written by `isolarcloud2mqtt config init`.",
    "# Every key is listed with its default; see docs/configuration.md.",
    "# This file may hold secrets: keep it mode 0600.",
)


@dataclass(frozen=True, slots=True)
class StarterAnswers:
    region: str = _ISO.region
    app_key: str = ""
    secret_key: str = field(default="", repr=False)
    application_id: int = 0
    redirect_uri: str = _ISO.redirect_uri
    mqtt_host: str = _MQTT.host
    mqtt_port: int = _MQTT.port
    mqtt_username: str = ""
    mqtt_password: str = field(default="", repr=False)


def write_starter_config(path: Path, answers: StarterAnswers, *, force: bool = False) -> None:
    """Write the commented starter file (folder 0700 when created, file 0600)."""
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists; edit it, or pass --force to replace it")
    values = {
        "isolarcloud": {
            "region": answers.region,
            "app_key": answers.app_key,
            "secret_key": answers.secret_key,
            "application_id": answers.application_id,
            "redirect_uri": answers.redirect_uri,
        },
        "mqtt": {
            "host": answers.mqtt_host,
            "port": answers.mqtt_port,
            "username": answers.mqtt_username,
            "password": answers.mqtt_password,
        },
    }
    try:
        write_atomic(path, render_toml(values, HEADER).encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot write it ({exc.strerror}); choose another --config path"
        ) from None


def _ask(
    stdin: TextIO,
    stdout: TextIO,
    question: str,
    default: str,
    check: Callable[[str], object],
    *,
    secret: bool = False,
) -> str:
    """Ask until `check` accepts the answer; an empty answer takes the default."""
    while True:
        shown = "" if secret or not default else f" [{default}]"
        prompt = f"{question}{shown}: "
        if secret and stdin is sys.stdin and stdin.isatty():
            answer = getpass.getpass(prompt, stream=stdout)  # no echo of secrets on a terminal
        else:
            stdout.write(prompt)
            stdout.flush()
            line = stdin.readline()
            if not line:
                raise ConfigError("config init: input ended before every question was answered")
            answer = line.strip()
        answer = answer or default
        try:
            check(answer)
        except Invalid as exc:
            stdout.write(f"  not accepted: {exc}\n")
            continue
        return answer


def _schema_check(section: str, key: str) -> Callable[[str], object]:
    return schema()[section][key].check


def _number(section: str, key: str) -> Callable[[str], object]:
    def check(answer: str) -> object:
        if not answer.isdigit():
            raise Invalid("expected a whole number, e.g. 1883")
        return schema()[section][key].check(int(answer))

    return check


def ask_starter_answers(stdin: TextIO, stdout: TextIO) -> StarterAnswers:
    """Ask the questions on `stdout`, read the answers from `stdin`, re-asking bad ones."""
    stdout.write("Answers in [brackets] are the defaults; press Enter to keep them.\n")
    stdout.write("Leave the keys empty to fill them in later (or via credentials).\n")
    region = _ask(
        stdin,
        stdout,
        "iSolarCloud region (cn, intl, eu, au, in)",
        "eu",
        _schema_check("isolarcloud", "region"),
    )
    app_key = _ask(
        stdin, stdout, "App key (32 hex characters)", "", _schema_check("isolarcloud", "app_key")
    )
    secret = _ask(
        stdin, stdout, "Secret key", "", _schema_check("isolarcloud", "secret_key"), secret=True
    )
    app_id = _ask(
        stdin,
        stdout,
        "Application id (the number after applicationId=)",
        "0",
        _number("isolarcloud", "application_id"),
    )
    redirect = _ask(
        stdin,
        stdout,
        "Redirect URI registered for the app",
        _ISO.redirect_uri,
        _schema_check("isolarcloud", "redirect_uri"),
    )
    host = _ask(stdin, stdout, "MQTT broker host", _MQTT.host, _schema_check("mqtt", "host"))
    port = _ask(stdin, stdout, "MQTT broker port", str(_MQTT.port), _number("mqtt", "port"))
    user = _ask(
        stdin, stdout, "MQTT username (empty for none)", "", _schema_check("mqtt", "username")
    )
    password = (
        _ask(stdin, stdout, "MQTT password", "", _schema_check("mqtt", "password"), secret=True)
        if user
        else ""
    )
    return StarterAnswers(
        region, app_key, secret, int(app_id), redirect, host, int(port), user, password
    )


def config_init(
    path: Path,
    *,
    force: bool,
    stdin: TextIO,
    stdout: TextIO,
    answers: StarterAnswers | None = None,
) -> int:
    """The `config init` command: refuse early if the file exists, ask, write, say what next."""
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists; edit it, or pass --force to replace it")
    answers = answers or ask_starter_answers(stdin, stdout)
    write_starter_config(path, answers, force=force)
    stdout.write(f"Wrote {path} (mode 0600). Next: isolarcloud2mqtt auth login --config {path}\n")
    return 0
