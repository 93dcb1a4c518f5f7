#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal, as if a person sat at it, and reports what happened.

Reads one JSON object on stdin:
  {"argv": [...], "cwd": "...", "env": {...}, "columns": 100, "rows": 30,
   "steps": [{"waitFor": "regex (on the output without escape sequences)", "timeoutMs": 30000} | {"waitForFile": "path", "timeoutMs": 30000}
             | {"sleepMs": 500} | {"write": "text"}],
   "timeoutMs": 120000}
and writes one JSON object on stdout:
  {"output": "everything the command wrote (stdout and stderr, as the terminal saw it)",
   "exitCode": 130 | null, "signal": "SIGINT" | null, "timedOut": false,
   "failedStep": null | index of a wait that timed out,
   "marks": [{"offset": output length, "ms": time since start} when each write was typed],
   "exitMs": time since start when the command was seen to exit}

The command is a session leader with the pty as its controlling terminal (like a shell's foreground
job), so a typed Ctrl-C (the byte 0x03) becomes SIGINT for its whole process group when the
terminal is in cooked mode, and just the byte 0x03 for a program that put it in raw mode.
Node's pty modules need a native build; Python's standard library has all this.
"""
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import fcntl
import time


CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(output: bytearray) -> str:
    """The output as a person reads it: no escape sequences, no carriage returns."""
    return CSI.sub("", output.decode("utf-8", "replace")).replace("\r", "")


def main() -> None:
    spec = json.load(sys.stdin)
    columns = int(spec.get("columns", 100))
    rows = int(spec.get("rows", 30))
    deadline = time.monotonic() + spec.get("timeoutMs", 120_000) / 1000
    env = spec.get("env") or dict(os.environ)
    env.setdefault("TERM", "xterm-256color")

    started = time.monotonic()
    exited_at = None
    pid, fd = pty.fork()
    if pid == 0:
        try:
            # Set the size before exec so the program sees a real terminal width at once.
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            if spec.get("cwd"):
                os.chdir(spec["cwd"])
            os.execvpe(spec["argv"][0], spec["argv"], env)
        except BaseException as exc:  # noqa: BLE001 - report anything, never return into the parent's code
            os.write(2, f"run-in-pty: cannot start {spec['argv'][0]}: {exc}\n".encode())
        os._exit(127)

    output = bytearray()
    status = None
    marks = []
    failed_step = None
    timed_out = False

    def pump(wait_s: float) -> None:
        """Reads what the program wrote for up to wait_s seconds (less once it has exited)."""
        nonlocal status, exited_at
        end = time.monotonic() + max(0.0, wait_s)
        while True:
            left = end - time.monotonic()
            try:
                ready, _, _ = select.select([fd], [], [], max(0.0, min(left, 0.05)))
            except InterruptedError:
                ready = []
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: every process holding the terminal has closed it
                    chunk = b""
                if chunk:
                    output.extend(chunk)
                    continue
            if status is None:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st
                    exited_at = time.monotonic()
            if status is not None and not ready:
                return
            if time.monotonic() >= end:
                return

    def wait_until(check, timeout_ms: float) -> bool:
        end = min(deadline, time.monotonic() + timeout_ms / 1000)
        while not check():
            if status is not None or time.monotonic() >= end:
                return check()
            pump(0.05)
        return True

    for index, step in enumerate(spec.get("steps", [])):
        if status is not None:
            break
        timeout_ms = step.get("timeoutMs", 30_000)
        if "waitFor" in step:
            pattern = re.compile(step["waitFor"])
            if not wait_until(lambda: pattern.search(plain(output)) is not None, timeout_ms):
                failed_step = index
                break
        elif "waitForFile" in step:
            path = step["waitForFile"]
            if not wait_until(lambda: os.path.exists(path), timeout_ms):
                failed_step = index
                break
        elif "sleepMs" in step:
            pump(step["sleepMs"] / 1000)
        elif "write" in step:
            marks.append({"offset": len(output), "ms": round((time.monotonic() - started) * 1000)})
            os.write(fd, step["write"].encode())

    # Then wait for the program to end on its own (or give up at the overall deadline).
    while status is None and time.monotonic() < deadline:
        pump(0.2)
    if status is None:
        timed_out = True
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
        exited_at = time.monotonic()
    pump(0.2)
    os.close(fd)

    exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status) else None
    json.dump(
        {
            "output": output.decode("utf-8", "replace"),
            "exitCode": exit_code,
            "signal": sig,
            "timedOut": timed_out,
            "failedStep": failed_step,
            "marks": marks,
            "exitMs": round((exited_at - started) * 1000) if exited_at else None,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
