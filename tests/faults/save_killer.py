"""SIGKILL this process in the middle of saving a state file, right before one file operation.

Used inside the kill tests' child processes. An audit hook notices when a `save` opens a
file whose name contains `target` for writing; a profiler in that thread then counts the
file operations (C calls of the os and io modules: open, fchmod, write, flush, fsync,
close, replace...) until that `save` returns. After `spare` saves, the process kills
itself right before operation number `step` (0: before the opening itself), after
printing `kill <k>/<n> before <op> after <done>`; when a save has fewer operations than
that, the next save is cut at `step % (n + 1)` instead, n being the operations a save
has. So the steps 0..n of a series of children walk through every point of the write,
whatever the write looks like.
"""

from __future__ import annotations

import io
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

_OPS = frozenset(
    {
        "open",
        "fchmod",
        "chmod",
        "write",
        "writelines",
        "flush",
        "truncate",
        "ftruncate",
        "fsync",
        "fdatasync",
        "close",
        "__exit__",
        "replace",
        "rename",
        "unlink",
    }
)


def _is_file_op(func: object) -> bool:
    if getattr(func, "__name__", None) not in _OPS:
        return False
    owner = getattr(func, "__self__", None)
    return isinstance(owner, io.IOBase) or getattr(func, "__module__", None) in ("posix", "io")


def _writing(mode: object, flags: object) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR))


def _save_frame(frame: FrameType | None) -> FrameType | None:
    """The nearest caller named `save`: the write it runs ends when that returns."""
    while frame is not None and frame.f_code.co_name != "save":
        frame = frame.f_back
    return frame


class SaveKiller:
    def __init__(self, target: str, step: int, say: Callable[[str], None], spare: int = 0) -> None:
        self.target = target
        self.step = step
        self.spare = spare
        self._saves = 0  # saves finished
        self._say = say
        self._ops: int | None = None  # operations of the latest finished save
        self._done: list[str] = []  # operations of the current save so far
        self._armed = False
        self._scope: FrameType | None = None

    def install(self) -> None:
        sys.addaudithook(self._audit)

    def _audit(self, event: str, args: tuple[object, ...]) -> None:
        if event != "open" or self._armed or len(args) != 3:
            return
        path, mode, flags = args
        if not isinstance(path, str | bytes | os.PathLike):
            return
        if self.target not in os.path.basename(os.fsdecode(path)) or not _writing(mode, flags):
            return
        self._armed, self._done = True, []
        self._scope = _save_frame(sys._getframe(1))
        self._maybe_kill("open")
        sys.setprofile(self._profile)

    def _profile(self, frame: FrameType, event: str, arg: object) -> None:
        if event == "return" and frame is self._scope:
            sys.setprofile(None)
            self._saves += 1
            self._ops = len(self._done)
            self._armed, self._scope = False, None
        elif event == "c_call" and _is_file_op(arg):
            op = str(getattr(arg, "__name__", arg))
            self._done.append(op)
            self._maybe_kill(op)

    def _maybe_kill(self, op: str) -> None:
        """Die before `op`, the latest entry of `_done` (or the first open, with none)."""
        count = len(self._done)
        at = self.step if self._ops is None else self.step % (self._ops + 1)
        if self._saves < self.spare or count != at:
            return
        done = ",".join(self._done[:-1] if count else []) or "-"
        self._say(f"kill {count}/{self._ops or '?'} before {op} after {done}")
        os.kill(os.getpid(), signal.SIGKILL)
