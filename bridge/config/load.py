"""Loading the configuration: a TOML file, checked against the schema, secrets resolved.

Every mistake becomes one `ConfigError` line naming the file, the key and the fix;
secret values are never shown. A missing secret key is not a load error (the demo and
`config init` do not need one): commands that talk to the cloud call
`require_cloud_credentials` first.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from bridge.config.checks import Invalid
from bridge.config.model import DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR, Config, ConfigError
from bridge.config.schema import SECTION_DEFAULTS, KeyInfo, schema

__all__ = [
    "APP_KEY_ENV",
    "SECRET_SOURCES",
    "KeyInfo",
    "default_config_path",
    "default_state_dir",
    "load_config",
    "require_application_id",
    "require_cloud_credentials",
    "schema",
]

# (section, key) -> (its *_file key, systemd credential name, environment variable)
SECRET_SOURCES = {
    ("isolarcloud", "secret_key"): ("secret_key_file", "secret_key", "ISOLARCLOUD_SECRET_KEY"),
    ("mqtt", "password"): ("password_file", "mqtt_password", "ISOLARCLOUD_MQTT_PASSWORD"),
}
APP_KEY_ENV = "ISOLARCLOUD_APP_KEY"
INIT_HINT = "create it with `isolarcloud2mqtt config init`, or pass --config PATH"


def _first_dir(env: Mapping[str, str], name: str) -> Path | None:
    # systemd passes one entry per configured directory, separated by colons
    first = env.get(name, "").split(":")[0]
    return Path(first) if first else None


def default_config_path(env: Mapping[str, str]) -> Path:
    """`$CONFIGURATION_DIRECTORY/config.toml`, else /etc/isolarcloud2mqtt/config.toml."""
    folder = _first_dir(env, "CONFIGURATION_DIRECTORY")
    return folder / "config.toml" if folder else DEFAULT_CONFIG_PATH


def default_state_dir(env: Mapping[str, str]) -> Path:
    """`$STATE_DIRECTORY` (its first entry), else /var/lib/isolarcloud2mqtt."""
    return _first_dir(env, "STATE_DIRECTORY") or DEFAULT_STATE_DIR


def _error(message: str) -> ConfigError:
    return ConfigError(" ".join(message.split()))  # always one line


def _show(value: object, secret: bool = False) -> str:
    """A value as the user wrote it, short, on one line, and masked when secret."""
    if secret:
        return "'***'"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | Path):
        text = repr(str(value))
    elif isinstance(value, list | dict):
        text = json.dumps(value, default=str, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fail(file: Path, where: str, value: object, problem: str, secret: bool = False) -> ConfigError:
    return _error(f"{file}: {where} = {_show(value, secret)}: {problem}")


def _read_toml(file: Path) -> dict[str, object]:
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise _error(f"{file}: no such file; {INIT_HINT}") from None
    except IsADirectoryError:
        raise _error(
            f"{file}: is a directory; pass the file, e.g. --config {file / 'config.toml'}"
        ) from None
    except PermissionError:
        raise _error(
            f"{file}: cannot read it (permission denied); make it readable by the user "
            "running the bridge (e.g. chmod 0640 and chgrp that user's group)"
        ) from None
    except OSError as exc:
        raise _error(f"{file}: cannot read it ({exc.strerror}); check the path") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _error(f"{file}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        where = f"at line {found[1]}, column {found[2]}" if found else "at the end of the file"
        detail = re.sub(r"\s*\(at .*\)$", "", message)
        detail = detail[:1].lower() + detail[1:]
        raise _error(
            f"{file}: invalid TOML {where}: {detail}; check the syntax there "
            "(strings in double quotes, true/false unquoted, one key per line)"
        ) from None


def _suggest(name: str, options: list[str], quote: str = "'{}'", noun: str = "keys") -> str:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return "did you mean " + quote.format(close[0]) + "?"
    return f"valid {noun} are " + ", ".join(options)


def _split_sections(file: Path, data: dict[str, object]) -> dict[str, dict[str, object]]:
    known = schema()
    top = [name for name in known if "." not in name]
    sections: dict[str, dict[str, object]] = {}
    for name, body in data.items():
        if not isinstance(body, dict):
            homes = [s for s, keys in known.items() if name in keys]
            secret = any(known[s][name].secret for s in homes)
            if name in top:
                fix = f"expected a section; write [{name}] on a line of its own, then its keys"
            elif homes:
                fix = f"a key outside any section; put it under [{homes[0]}]"
            else:
                fix = f"a key outside any section; remove it (sections are {', '.join(top)})"
            raise _fail(file, name, body, fix, secret)
        if name not in top:
            raise _error(
                f"{file}: [{name}]: unknown section; {_suggest(name, top, '[{}]', 'sections')}"
            )
        sections[name] = dict(body)
    mqtt = sections.get("mqtt", {})
    if "tls" in mqtt:
        tls = mqtt.pop("tls")
        if not isinstance(tls, dict):
            raise _fail(file, "[mqtt] tls", tls, "expected a table; write a [mqtt.tls] section")
        sections["mqtt.tls"] = tls
    return sections


# Checked values are typed by their schema check, which mypy cannot follow: Any.
Values = dict[str, Any]


def _check_section(file: Path, section: str, body: dict[str, object]) -> Values:
    known = schema()
    keys = known[section]
    values: Values = {}
    for key, value in body.items():
        info = keys.get(key)
        if info is None:
            homes = [s for s, other in known.items() if key in other and s != section]
            close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.6)
            hint = (
                f"it belongs under [{homes[0]}]"
                if homes and not close
                else _suggest(key, list(keys))
            )
            raise _error(f"{file}: [{section}] {key}: unknown key; {hint}")
        try:
            values[key] = info.check(value)
        except Invalid as exc:
            raise _fail(file, f"[{section}] {key}", value, str(exc), info.secret) from None
    return values


def _resolve(file: Path, path: Path) -> Path:
    # relative paths are relative to the config file, not to the working directory
    path = path.expanduser()
    return path if path.is_absolute() else file.parent / path


def _check_readable(file: Path, where: str, path: Path) -> None:
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise _fail(
            file,
            where,
            path,
            f"cannot read the file ({exc.strerror}); fix the path or its permissions",
        ) from None


def _read_secret(file: Path, where: str, path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise _fail(
            file, where, path, f"cannot read the file ({reason}); fix the path or its permissions"
        ) from None
    secret = text.rstrip("\r\n")
    if not secret:
        raise _fail(file, where, path, "the file is empty; write the secret into it")
    if "\n" in secret:
        raise _fail(
            file, where, path, "the file holds more than one line; write only the secret into it"
        )
    return secret


def _resolve_secret(
    file: Path, env: Mapping[str, str], section: str, values: Values, key: str
) -> None:
    """Fill values[key] from the first source that has it: value, *_file, credential, env."""
    file_key, credential, variable = SECRET_SOURCES[(section, key)]
    value = str(values.get(key, ""))
    secret_path = values.pop(file_key, None)
    if value and isinstance(secret_path, Path):
        raise _fail(
            file,
            f"[{section}] {file_key}",
            secret_path,
            f"set either {key} or {file_key}, not both; remove one of them",
        )
    if isinstance(secret_path, Path):
        value = _read_secret(file, f"[{section}] {file_key}", _resolve(file, secret_path))
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if not value and credentials and (Path(credentials) / credential).exists():
        value = _read_secret(file, f"credential {credential}", Path(credentials) / credential)
    values[key] = value or env.get(variable, "")


def _resolve_app_key(file: Path, env: Mapping[str, str], values: Values) -> None:
    if values.get("app_key") or not env.get(APP_KEY_ENV):
        return
    from_env = env[APP_KEY_ENV]
    try:
        values["app_key"] = schema()["isolarcloud"]["app_key"].check(from_env)
    except Invalid as exc:
        raise _fail(
            file, f"[isolarcloud] app_key (from ${APP_KEY_ENV})", from_env, str(exc)
        ) from None


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, validate and normalise the config file; raise ConfigError (one line) on any mistake."""
    env = os.environ if env is None else env
    sections = _split_sections(path, _read_toml(path))
    values = {name: _check_section(path, name, body) for name, body in sections.items()}
    for name in schema():
        values.setdefault(name, {})

    iso, mqtt, tls = values["isolarcloud"], values["mqtt"], values["mqtt.tls"]
    _resolve_app_key(path, env, iso)
    _resolve_secret(path, env, "isolarcloud", iso, "secret_key")
    _resolve_secret(path, env, "mqtt", mqtt, "password")
    for key in ("ca_file", "cert_file", "key_file"):
        given = tls.get(key)
        if isinstance(given, Path):
            tls[key] = resolved = _resolve(path, given)
            _check_readable(path, f"[mqtt.tls] {key}", resolved)
    if "key_file" in tls and "cert_file" not in tls:
        raise _fail(
            path,
            "[mqtt.tls] key_file",
            tls["key_file"],
            "set cert_file too; a client key needs its certificate",
        )
    plants = values["plants"]
    include, exclude = plants.get("include", ()), plants.get("exclude", ())
    both = (
        set(include) & set(exclude)
        if isinstance(include, tuple) and isinstance(exclude, tuple)
        else set()
    )
    if both:
        raise _fail(
            path,
            "[plants] exclude",
            sorted(both),
            "these plants are also in include; list each plant in one of them only",
        )
    output = values["output"]
    if output.get("json") is False and output.get("values") is False:
        raise _fail(
            path,
            "[output] values",
            False,
            "with json = false too nothing would be published; turn one of them on",
        )
    if "mqtt.tls" in sections:
        mqtt["tls"] = replace(SECTION_DEFAULTS["mqtt.tls"], **values.pop("mqtt.tls"))
    else:
        del values["mqtt.tls"]
    # each [section] fills the Config field of its name, over that section's defaults
    return Config(
        path=path,
        **{name: replace(SECTION_DEFAULTS[name], **given) for name, given in values.items()},
    )


def require_cloud_credentials(cfg: Config) -> None:
    """Raise ConfigError naming every missing cloud credential and every way to supply it."""
    missing = []
    if not cfg.isolarcloud.app_key:
        missing.append(
            "[isolarcloud] app_key: missing; set app_key (32 hex characters from the developer "
            f"portal) in the file or in ${APP_KEY_ENV}"
        )
    if not cfg.isolarcloud.secret_key:
        missing.append(
            "[isolarcloud] secret_key: missing; set secret_key or secret_key_file in the file, "
            "the systemd credential secret_key (LoadCredential=secret_key:/path/to/file), "
            "or $ISOLARCLOUD_SECRET_KEY"
        )
    if missing:
        raise _error(f"{cfg.path or 'config'}: " + "; also ".join(missing))


def require_application_id(cfg: Config) -> None:
    """Raise ConfigError when the application id needed for the authorisation URL is unset."""
    if not cfg.isolarcloud.application_id:
        raise _error(
            f"{cfg.path or 'config'}: [isolarcloud] application_id: missing; set it to the number "
            "after applicationId= in the authorisation URL of your app in the developer portal"
        )
