"""Fat-fingered configs of any shape: a Config or one ConfigError line, never a crash or a leak."""

from __future__ import annotations

import tempfile
from pathlib import Path

import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.config.load import load_config
from bridge.config.model import Config, ConfigError
from bridge.config.schema import schema

SECRET = "LEAKME-0123456789"
SECTIONS = [name for name in schema() if "." not in name]
KEYS = sorted({key for keys in schema().values() for key in keys})

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["eu", "5", "3.1.1", "entity", "info", "json", "http://x.y/cb", "1234"]),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(
        st.sampled_from(["plant", "14", "x"]), st.lists(scalars, max_size=2), max_size=2
    ),
)
names = st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=8))
sections = st.dictionaries(names, values, max_size=4)
documents = st.dictionaries(
    st.one_of(st.sampled_from(SECTIONS), names), st.one_of(sections, sections, values), max_size=3
)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from(["secret_key", "password"]), st.booleans())
def test_any_document_loads_or_fails_with_one_line(
    doc: dict[str, object], key: str, misplace: bool
) -> None:
    section = "isolarcloud" if key == "secret_key" else "mqtt"
    body = doc.get(section)
    doc[section] = {**(body if isinstance(body, dict) else {}), key: SECRET}
    if misplace:
        doc[key] = SECRET  # also at the top level, outside any section
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_text(tomli_w.dumps(doc))
        try:
            cfg = load_config(path, {})
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith(f"{path}: ")
            assert "\n" not in message and SECRET not in message
        else:
            assert isinstance(cfg, Config)
            assert SECRET not in repr(cfg)
