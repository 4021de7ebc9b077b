"""`isolarcloud2mqtt demo` from one command: it prints the watch line, serves, cleans up."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from tests.support.broker import MosquittoBroker, Watcher, wait_until


def test_demo_runs_until_ctrl_c_and_cleans_up() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "demo", "--interval", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    stdout = proc.stdout
    assert stdout is not None
    reader = threading.Thread(target=lambda: output.extend(iter(stdout.readline, "")))
    reader.start()
    try:
        wait_until(lambda: any("mosquitto_sub" in line for line in output), 30, "the watch line")
        line = next(line for line in output if "mosquitto_sub" in line)
        match = re.search(r"-h (\S+) -p (\d+)", line)
        assert match, line
        host, port = match.group(1), int(match.group(2))
        # the demo's own broker, only addressed here (not started by us)
        demo_broker = MosquittoBroker(Path("unused"), host=host, port=port)
        watcher = Watcher(demo_broker, ["isolarcloud/#"])
        try:
            state = watcher.wait_for("isolarcloud/bridge/health", timeout=30)
            assert json.loads(state.payload)["last_poll"]["result"] == "ok"
            watcher.wait_for("isolarcloud/bridge/state", lambda m: m.text == "online")
        finally:
            watcher.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(5)
    # the private broker went away with the demo
    with socket.socket() as sock:
        assert sock.connect_ex((host, port)) != 0
