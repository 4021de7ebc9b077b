"""The OAuth token set and its file (`<state_dir>/tokens.toml`, mode 0600, written atomically)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from bridge.isolarcloud.errors import LOGIN_FIX, AuthorizationDeadError
from bridge.platform.atomic import write_atomic

FILE_NAME = "tokens.toml"


@dataclass(frozen=True)
class TokenSet:
    """Tokens and their expiry times (epoch seconds). The tokens never show in a repr."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    refresh_expires_at: float
    obtained_at: float
    auth_ps_list: tuple[str, ...] = ()
    auth_user: str | None = None


def token_path(state_dir: Path) -> Path:
    return state_dir / FILE_NAME


class TokenStore:
    """Loads and saves one TokenSet; a kill during `save` leaves the old or the new file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> TokenSet | None:
        """The saved tokens, or None when there is no file yet.

        Raises AuthorizationDeadError (with the fix) when the file cannot be read or parsed.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AuthorizationDeadError(
                f"cannot read the token file {self.path}: {exc.strerror}; fix its permissions "
                f"or {LOGIN_FIX}"
            ) from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))["tokens"]
            tokens = TokenSet(
                access_token=_text(data["access_token"]),
                refresh_token=_text(data["refresh_token"]),
                expires_at=float(data["expires_at"]),
                refresh_expires_at=float(data["refresh_expires_at"]),
                obtained_at=float(data["obtained_at"]),
                auth_ps_list=tuple(str(ps) for ps in data.get("auth_ps_list", [])),
                auth_user=str(data["auth_user"]) if "auth_user" in data else None,
            )
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError):
            raise AuthorizationDeadError(
                f"the token file {self.path} is damaged; delete it and {LOGIN_FIX}"
            ) from None
        return tokens

    def save(self, tokens: TokenSet) -> None:
        data: dict[str, Any] = {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
            "refresh_expires_at": tokens.refresh_expires_at,
            "obtained_at": tokens.obtained_at,
            "auth_ps_list": list(tokens.auth_ps_list),
        }
        if tokens.auth_user is not None:
            data["auth_user"] = tokens.auth_user
        text = "# iSolarCloud OAuth tokens: secret, keep mode 0600\n" + tomli_w.dumps(
            {"tokens": data}
        )
        write_atomic(self.path, text.encode("utf-8"), mode=0o600)


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value
