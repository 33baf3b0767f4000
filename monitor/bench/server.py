"""Start the real application under gunicorn on a loopback port, for measurements."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from monitor.bench.load import single


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with *workers* processes × *threads* threads serving ``create_app()``."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, threads: int = 4,
                 log: Path | None = None) -> None:
        self.port = free_port()
        self.env = env
        self.workers = workers
        self.threads = threads
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        command = [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "--threads",
                   str(self.threads), "-b", f"127.0.0.1:{self.port}", "--timeout", "300",
                   "--log-level", "warning", "monitor.web.app:create_app()"]
        output = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(command, env=self.env, stdout=output, stderr=output,
                                        start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the application server stopped at start-up; see the bench log")
            try:
                if single(self.port, "GET", "/ping")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the application server did not answer within two minutes")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def worker_peak_mb(self) -> float | None:
        """Largest peak resident memory (VmHWM) among the worker processes, in MB."""
        if self.process is None:
            return None
        peaks = []
        for child in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            for pid in child.read_text().split():
                status = Path(f"/proc/{pid}/status")
                if status.exists():
                    found = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
                    if found:
                        peaks.append(int(found.group(1)) / 1024)
        return max(peaks) if peaks else None
