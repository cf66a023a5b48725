"""Runs a command on a pseudo-terminal (as a user at a terminal would), types the given
text after the first prompt appears, and prints a JSON summary: what the terminal showed
and the exit status. Used by the CLI tests (Node has no pty of its own).

    python3 run-in-pty.py <prompt> <text-to-type> <timeout-seconds> -- <command...>
"""
import json
import os
import pty
import select
import sys
import time

prompt, typed, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
command = sys.argv[sys.argv.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

shown = b""
sent = False
deadline = time.time() + timeout
status = None
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        shown += chunk
    if not sent and prompt.encode() in shown:
        os.write(fd, typed.encode())
        sent = True
    done, code = os.waitpid(pid, os.WNOHANG)
    if done:
        status = code
        break
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
try:
    while True:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        shown += chunk
except OSError:
    pass
print(json.dumps({"exited": status is not None, "code": os.waitstatus_to_exitcode(status) if status is not None else None, "shown": shown.decode("utf8", "replace")}))
