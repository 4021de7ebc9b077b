"""The Node-RED flows printed in docs/, and a real Node-RED (the npm package pinned in
tests/consumers/node_red) to deploy them into.

Node-RED is driven only through its own interfaces: the admin HTTP API deploys flows
(`POST /flows`) and presses inject buttons (`POST /inject/<id>`), and the editor's
websocket (`/comms`) carries what the Debug sidebar shows, including node errors and
warnings. Like the Mosquitto tests, these never skip: without node or the npm packages
they fail and name the command that installs them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websocket

from tests.support.broker import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PACKAGE = REPO / "tests" / "consumers" / "node_red"
RED_JS = PACKAGE / "node_modules" / "node-red" / "red.js"
NODE_HINT = "node not found: install it with `apt-get install -y nodejs npm`"
PACKAGES_HINT = (
    f"Node-RED is not installed in {PACKAGE.relative_to(REPO)}: run `npm ci` there "
    "(./scripts/test does it)"
)
# node types that live outside any tab in a flows file
CONFIG_TYPES = {"mqtt-broker"}
JSON_BLOCK = re.compile(r"```json\n(.*?)```", re.S)
# Node-RED's log levels (@node-red/util log.js): what the Debug sidebar marks red or amber
LOG_LEVELS = {10: "fatal", 20: "error", 30: "warn"}

Node = dict[str, Any]


@dataclass(frozen=True)
class DocFlow:
    page: str
    index: int  # the flow's place among the page's flows
    nodes: list[Node]

    @property
    def name(self) -> str:
        return f"{self.page}#{self.index}"

    def of_type(self, kind: str) -> list[Node]:
        return [n for n in self.nodes if n["type"] == kind]


def doc_flows() -> list[DocFlow]:
    """Every JSON block of docs/*.md that is a Node-RED flow (a list of wired nodes)."""
    found = []
    for path in sorted(DOCS.glob("*.md")):
        flows = [
            nodes
            for block in JSON_BLOCK.findall(path.read_text(encoding="utf-8"))
            if _is_flow(nodes := json.loads(block))
        ]
        found += [DocFlow(path.name, i, nodes) for i, nodes in enumerate(flows)]
    return found


def _is_flow(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(n, dict) and "type" in n and "id" in n for n in value)
    )


def pointed_at(nodes: list[Node], host: str, port: int) -> list[Node]:
    """The flow with its broker nodes moved to host:port: the one edit a user makes."""
    return [
        {**n, "broker": host, "port": str(port)} if n["type"] == "mqtt-broker" else n for n in nodes
    ]


@dataclass
class DebugMessage:
    """One entry of the Debug sidebar: a debug node's output, or a node's error/warning."""

    node: str  # the debug node's id, or the id of the node that logged
    name: str
    level: int | None  # None for debug node output
    value: object

    @property
    def problem(self) -> bool:
        return self.level in LOG_LEVELS


def _decode(data: dict[str, Any]) -> object:
    """The value a debug entry shows, from Node-RED's encoding (`format` + text)."""
    text, kind = data.get("msg"), str(data.get("format", ""))
    if not isinstance(text, str):
        return text
    if kind.startswith(("Object", "array", "number", "boolean", "null")):
        try:
            return json.loads(text)
        except ValueError:
            return text  # shortened by debugMaxLength; the text is still readable
    return text


@dataclass
class NodeRed:
    """One Node-RED process with a private user directory on a free loopback port."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    debug: list[DebugMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ws: websocket.WebSocket | None = None
    _reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "node-red.log"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def start(self, timeout: float = 60) -> None:
        node = shutil.which("node")
        if node is None:
            raise AssertionError(NODE_HINT)
        if not RED_JS.exists():
            raise AssertionError(PACKAGES_HINT)
        user_dir = self.workdir / "user"
        user_dir.mkdir(parents=True)
        settings = self.workdir / "settings.js"
        settings.write_text(
            "module.exports = "
            + json.dumps(
                {
                    "uiHost": "127.0.0.1",
                    "uiPort": self.port,
                    "userDir": str(user_dir),
                    "flowFile": "flows.json",
                    "credentialSecret": False,
                    "diagnostics": {"enabled": False, "ui": False},
                    "telemetry": {"enabled": False},
                    "logging": {"console": {"level": "info", "metrics": False, "audit": False}},
                    # whole answers in the Debug sidebar, not the first 1000 characters
                    "debugMaxLength": 100_000,
                }
            )
            + ";\n",
            encoding="utf-8",
        )
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [node, str(RED_JS), "--settings", str(settings)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
            )
        wait_until(self._admin_ready, timeout, f"Node-RED's admin API on {self.url}")
        self._connect_comms()

    def _admin_ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"Node-RED exited with {self.proc.returncode}:\n{self.log()}")
        try:
            return httpx.get(f"{self.url}/settings", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def _connect_comms(self) -> None:
        """Subscribe to the Debug sidebar's feed, as the editor does."""
        ws = websocket.create_connection(f"ws://127.0.0.1:{self.port}/comms", timeout=10)
        ws.settimeout(None)
        ws.send(json.dumps({"subscribe": "debug"}))
        self._ws = ws
        self._reader = threading.Thread(target=self._read, args=(ws,), daemon=True)
        self._reader.start()

    def _read(self, ws: websocket.WebSocket) -> None:
        while True:
            try:
                frame = ws.recv()
            except (websocket.WebSocketException, OSError):
                return  # closed by stop()
            if not frame:
                return
            batch = json.loads(frame)
            for item in batch if isinstance(batch, list) else [batch]:
                if item.get("topic") != "debug":
                    continue
                data = item["data"]
                entry = DebugMessage(
                    node=str(data.get("id", "")),
                    name=str(data.get("name", "")),
                    level=data.get("level"),
                    value=_decode(data),
                )
                with self._lock:
                    self.debug.append(entry)

    def messages(self, since: int = 0) -> list[DebugMessage]:
        with self._lock:
            return self.debug[since:]

    def mark(self) -> int:
        with self._lock:
            return len(self.debug)

    def deploy(self, nodes: list[Node]) -> None:
        """Replace every flow with `nodes`, as the editor's full deploy does."""
        reply = httpx.post(
            f"{self.url}/flows",
            json=nodes,
            headers={"Node-RED-Deployment-Type": "full", "Node-RED-API-Version": "v1"},
            timeout=30,
        )
        assert reply.status_code in (200, 204), f"deploy failed: {reply.status_code} {reply.text}"

    def inject(self, node_id: str) -> None:
        """Press an inject node's button."""
        reply = httpx.post(f"{self.url}/inject/{node_id}", timeout=10)
        assert reply.status_code == 200, f"inject {node_id}: {reply.status_code} {reply.text}"

    def stop(self) -> None:
        if self._ws is not None:
            self._ws.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._reader is not None:
            self._reader.join(5)
