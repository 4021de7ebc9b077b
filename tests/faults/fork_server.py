"""A Python with the bridge already imported that forks the token-kill test's children.

    python -m tests.faults.fork_server CHILD_OUT_FD

A restart then costs milliseconds instead of an interpreter start, so the test can kill
often. Commands on stdin, one a line: `start ARG...` forks a `token_child` with those
arguments (its stdout goes to CHILD_OUT_FD) and answers `started PID`; `reap PID` waits
for that child and answers `exited PID CODE` (-9 after a SIGKILL). The server runs no
thread of its own, so forking it is safe.
"""

from __future__ import annotations

import os
import sys
import traceback

from tests.faults import token_child


def main(argv: list[str]) -> int:
    child_out = int(argv[0])
    for line in sys.stdin:
        command, *args = line.split()
        if command == "start":
            pid = os.fork()
            if pid == 0:
                os.dup2(child_out, 1)
                code = 1
                try:
                    code = token_child.main(args)
                except BaseException:
                    traceback.print_exc()
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)  # never back into the server's loop
            print(f"started {pid}", flush=True)
        elif command == "reap":
            _, status = os.waitpid(int(args[0]), 0)
            print(f"exited {args[0]} {os.waitstatus_to_exitcode(status)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
