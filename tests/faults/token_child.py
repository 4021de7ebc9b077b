"""The process the token-kill test SIGKILLs: it renews and uses the tokens until it dies.

    python -m tests.faults.token_child STATE_DIR GATEWAY_URL [KILL_STEP]

It loads the token file, renews the tokens at once and uses the new access token; then it
prints `up` and renews-and-uses in a loop. When the cloud refuses the refresh token on
disk it prints `dead` and exits 3. With KILL_STEP it kills itself inside the second token
save, before that file operation (see save_killer). Logs go to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bridge.isolarcloud.client import GatewayClient
from bridge.isolarcloud.errors import AuthorizationDeadError
from bridge.isolarcloud.tokens import TokenStore, token_path
from bridge.platform.logging import configure_logging
from bridge.platform.secrets import SecretRegistry
from bridge.simulator import demo_settings
from tests.faults.save_killer import SaveKiller

DEAD_EXIT = 3
POLL_CALLS = 16  # data calls per renewal (a list_plants is two)


def say(line: str) -> None:
    print(line, flush=True)


def renew_and_use(client: GatewayClient) -> None:
    """One renewal, then a poll's worth of calls with the new access token."""
    client.oauth.force_refresh(client.oauth.access_token())
    for _ in range(POLL_CALLS // 2):
        client.list_plants()


def main(argv: list[str]) -> int:
    state_dir, gateway = Path(argv[0]), argv[1]
    settings = demo_settings(gateway)
    secrets = SecretRegistry(settings.secret_key)
    configure_logging("warning", "json", secrets)
    if len(argv) > 2:
        SaveKiller("tokens.toml", int(argv[2]), say, spare=1).install()
    store = TokenStore(token_path(state_dir))
    with GatewayClient(settings, store, secrets=secrets) as client:
        try:
            renew_and_use(client)
        except AuthorizationDeadError:
            say("dead")
            return DEAD_EXIT
        say("up")
        while True:
            renew_and_use(client)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
