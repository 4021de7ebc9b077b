"""SecretRegistry: the one masking mechanism shared by logs, errors, events and payloads."""

from __future__ import annotations

import string
from urllib.parse import quote, quote_plus

from hypothesis import given
from hypothesis import strategies as st

from bridge.platform.secrets import MAX_ROTATING_SECRETS, SecretRegistry, is_secret_key

SECRET_CHARS = string.ascii_letters + string.digits + "-_.+/=@&?%# "


def test_registered_secrets_are_masked_in_text() -> None:
    secrets = SecretRegistry()
    secrets.add("abcd1234")
    assert secrets.redact("x abcd1234 y abcd1234") == "x *** y ***"
    assert secrets.redact("nothing here") == "nothing here"


def test_short_and_empty_strings_are_ignored() -> None:
    secrets = SecretRegistry()
    for short in ("", "a", "ab", "abc"):
        secrets.add(short)
    assert secrets.redact("a abc ab") == "a abc ab"


def test_longest_secret_is_masked_whole() -> None:
    secrets = SecretRegistry()
    secrets.add("tokenA")
    secrets.add("tokenA-extended")
    assert secrets.redact("tokenA-extended") == "***"


def test_url_encoded_forms_are_masked() -> None:
    secrets = SecretRegistry()
    secret = "p@ss w/rd+="
    secrets.add(secret)
    assert secrets.redact(f"?a={quote(secret, safe='')}&b={quote_plus(secret)}") == "?a=***&b=***"


def test_rotating_secrets_keep_the_newest_and_fixed_ones_stay() -> None:
    secrets = SecretRegistry()
    secrets.add("secret-key-fixed")
    tokens = [f"token-{n:04d}" for n in range(MAX_ROTATING_SECRETS + 5)]
    for token in tokens:
        secrets.add(token, rotating=True)
    assert secrets.redact("secret-key-fixed") == "***"
    assert secrets.redact(tokens[-1]) == "***"
    assert secrets.redact(tokens[-MAX_ROTATING_SECRETS]) == "***"
    assert secrets.redact(tokens[0]) == tokens[0]


def test_a_registry_starts_with_the_secrets_it_is_given() -> None:
    secrets = SecretRegistry("fixed-secret-key", "", "ab")
    assert secrets.redact("k=fixed-secret-key ab") == "k=*** ab"


@given(
    secret=st.text(SECRET_CHARS, min_size=4, max_size=40),
    before=st.text(SECRET_CHARS, max_size=20),
    after=st.text(SECRET_CHARS, max_size=20),
)
def test_a_secret_never_survives_redaction(secret: str, before: str, after: str) -> None:
    secrets = SecretRegistry()
    secrets.add(secret)
    assert secret not in secrets.redact(before + secret + after)
    assert quote(secret, safe="") not in secrets.redact(before + quote(secret, safe="") + after)


def test_secret_key_names() -> None:
    for name in (
        "secret",
        "token",
        "password",
        "Password",
        "authorization",
        "Authorization",
        "access_token",
        "refresh_token",
        "secret_key",
        "x-access-key",
        "X-Access-Key",
        "mqtt_password",
        "client_secret",
    ):
        assert is_secret_key(name), name
    for name in ("code", "result_code", "token_expiry", "expires_in", "username", "plant"):
        assert not is_secret_key(name), name


def test_redact_mapping_masks_keys_and_registered_values_deeply() -> None:
    secrets = SecretRegistry()
    secrets.add("the-access-token")
    payload = {
        "event": "auth.refreshed",
        "access_token": "the-access-token",
        "password": "",
        "refresh_token": None,
        "nested": {"X-Access-Key": "k" * 32, "list": ["a", "Bearer the-access-token"]},
        "pair": ("the-access-token", 3),
        "count": 4,
        "result_code": "E00003",
    }
    redacted = secrets.redact_mapping(payload)
    assert redacted == {
        "event": "auth.refreshed",
        "access_token": "***",
        "password": "",
        "refresh_token": None,
        "nested": {"X-Access-Key": "***", "list": ["a", "Bearer ***"]},
        "pair": ("***", 3),
        "count": 4,
        "result_code": "E00003",
    }
    assert payload["access_token"] == "the-access-token"  # the original is untouched
