# Sourced by scripts/test and scripts/demo: a project virtual environment in .venv with
# the package (editable) and its test tools, created or updated when pyproject changes.
venv="$PWD/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -e "$stamp" ]; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi
export PATH="$venv/bin:$PATH:/usr/sbin"
