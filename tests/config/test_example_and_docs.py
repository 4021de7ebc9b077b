"""config.example.toml and docs/configuration.md match the schema the loader checks."""

from __future__ import annotations

import re
from pathlib import Path

from bridge.config.load import load_config
from bridge.config.model import Config
from bridge.config.render import DOCS_PATH, EXAMPLE_PATH, embed_reference, render_toml
from bridge.config.schema import schema

ROOT = Path(__file__).parents[2]
REGENERATE = "run `python -m bridge.config.render` from the repo top and commit the result"


def test_example_is_the_generated_text() -> None:
    assert (ROOT / EXAMPLE_PATH).read_text() == render_toml(), REGENERATE


def test_example_shows_every_key_in_its_section() -> None:
    text = (ROOT / EXAMPLE_PATH).read_text()
    for section, keys in schema().items():
        body = re.split(r"^(?:# )?\[", text.split(f"[{section}]\n", 1)[1], flags=re.M)[0]
        for key in keys:
            assert re.search(rf"^(# )?{key} = ", body, re.M), f"[{section}] {key} missing"


def test_example_loads_to_the_defaults(tmp_path: Path) -> None:
    copy = tmp_path / "config.toml"
    copy.write_text((ROOT / EXAMPLE_PATH).read_text())
    cfg = load_config(copy, {"ISOLARCLOUD_SECRET_KEY": "dummy-secret"})
    assert cfg.isolarcloud.secret_key == "dummy-secret"
    defaults = Config(path=copy)
    assert cfg.mqtt == defaults.mqtt and cfg.poll == defaults.poll
    assert (cfg.homeassistant, cfg.plants, cfg.points) == (
        defaults.homeassistant,
        defaults.plants,
        defaults.points,
    )
    assert (cfg.output, cfg.logging) == (defaults.output, defaults.logging)


def test_uncommenting_the_optional_keys_gives_a_valid_config(tmp_path: Path) -> None:
    # the examples of the optional keys must themselves pass validation (except the files)
    text = (ROOT / EXAMPLE_PATH).read_text().replace("# gateway = ", "gateway = ")
    text = text.replace("# [mqtt.tls]", "[mqtt.tls]").replace("# insecure = ", "insecure = ")
    copy = tmp_path / "config.toml"
    copy.write_text(text)
    cfg = load_config(copy, {})
    assert cfg.isolarcloud.gateway == "http://127.0.0.1:8000"
    assert cfg.mqtt.tls is not None and cfg.mqtt.tls.insecure is False


def test_docs_key_tables_are_the_generated_text() -> None:
    doc = (ROOT / DOCS_PATH).read_text()
    assert embed_reference(doc) == doc, REGENERATE


def test_docs_name_every_key_and_no_unknown_key() -> None:
    doc = (ROOT / DOCS_PATH).read_text()
    known = schema()
    documented: dict[str, set[str]] = {}
    section = ""
    for line in doc.splitlines():
        heading = re.fullmatch(r"### \[(.+)\]", line)
        if heading:
            section = heading[1]
            documented.setdefault(section, set())
        row = re.match(r"\| `([a-z_]+)` \|", line)
        if row:
            documented[section].add(row[1])
    assert documented == {name: set(keys) for name, keys in known.items()}


def test_docs_explain_every_secret_source() -> None:
    doc = (ROOT / DOCS_PATH).read_text()
    for needle in (
        "secret_key_file",
        "password_file",
        "$CREDENTIALS_DIRECTORY/secret_key",
        "$CREDENTIALS_DIRECTORY/mqtt_password",
        "LoadCredential=secret_key:",
        "ISOLARCLOUD_SECRET_KEY",
        "ISOLARCLOUD_MQTT_PASSWORD",
        "ISOLARCLOUD_APP_KEY",
        "/run/secrets/",
    ):
        assert needle in doc, needle


def test_the_typical_file_in_the_docs_loads(tmp_path: Path) -> None:
    doc = (ROOT / DOCS_PATH).read_text()
    block = doc.split("## A typical file", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "secret_key").write_text("s\n")
    (tmp_path / "mqtt_password").write_text("p\n")
    copy = tmp_path / "config.toml"
    copy.write_text(block.replace("/etc/isolarcloud2mqtt/", f"{tmp_path}/"))
    cfg = load_config(copy, {})
    assert (cfg.isolarcloud.secret_key, cfg.mqtt.password) == ("s", "p")
    assert cfg.points.extra == {"plant": ("83012",), "14": ("13150",)}
