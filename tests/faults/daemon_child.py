"""The daemon the power-cut test SIGKILLs: the whole Service, polling every second.

    python -m tests.faults.daemon_child STATE_DIR GATEWAY_URL MQTT_PORT [KILL_STEP]

`isolarcloud2mqtt run` cannot poll faster than once a minute; this runs the same Service
from a Config with a one-second interval against the simulator at GATEWAY_URL and a
Mosquitto on 127.0.0.1:MQTT_PORT. With KILL_STEP it kills itself inside its second
counter-state save (so it has published once), before that file operation (see
save_killer), after printing which.
Logs (JSON) go to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bridge.config.model import PollConfig
from bridge.daemon.service import Service
from bridge.platform.logging import configure_logging
from bridge.platform.secrets import SecretRegistry
from bridge.simulator import simulator_config
from tests.faults.save_killer import SaveKiller

COUNTERS_FILE = "counters.toml"


def say(line: str) -> None:
    print(line, flush=True)


def main(argv: list[str]) -> int:
    state_dir, gateway, port = Path(argv[0]), argv[1], int(argv[2])
    secrets = SecretRegistry()
    configure_logging("info", "json", secrets)
    if len(argv) > 3:
        SaveKiller(COUNTERS_FILE, int(argv[3]), say, spare=1).install()
    poll = PollConfig(interval=1, min_refresh_interval=1, hourly_call_budget=100_000)
    cfg = simulator_config(gateway, port=port, client_id="bridge-under-test", poll=poll)
    return Service(cfg, state_dir, secrets=secrets).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
