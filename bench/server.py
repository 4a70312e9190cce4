"""The project served as in production: gunicorn, sync workers, DEBUG off, the production middleware."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    """A port nobody listens on now (the kernel's choice), for a server started right after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time ``pid`` has used, in seconds, from /proc (None once the process is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime and stime, fields 14 and 15 of stat


def cpu_snapshot(pids) -> dict[int, float]:
    return {pid: value for pid in pids if (value := cpu_seconds(pid)) is not None}


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two snapshots; a process that appeared in between counts from zero."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MiB, from /proc (None once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Server:
    """gunicorn on 127.0.0.1:``port`` with ``workers`` sync workers and the environment ``env``."""

    port: int
    env: dict[str, str]
    workers: int = 2
    log_path: Path | None = None
    process: subprocess.Popen | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "solidarity.wsgi:application",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--backlog",
            "2048",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with status {self.process.returncode}:\n{self.log_tail()}")
            if self._healthy() and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        self.stop()
        raise ServerError(f"gunicorn did not answer /health/ within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, characters: int = 4000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-characters:]

    def drain(self, timeout: float = 600) -> float:
        """Wait until the workers are idle: requests a load run left queued (its clients gone) are still served
        by sync workers, and would be counted against the next endpoint. Returns the seconds waited."""
        started = time.monotonic()
        quick = 0
        while quick < 3 and time.monotonic() - started < timeout:
            before = time.monotonic()
            self._healthy(timeout=timeout)
            quick = quick + 1 if time.monotonic() - before < 0.1 else 0
        return time.monotonic() - started

    def _healthy(self, timeout: float = 2) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", "/health/")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def worker_pids(self) -> list[int]:
        return _children(self.process.pid) if self.process else []

    def worker_rss_mb(self) -> list[float]:
        return [value for pid in self.worker_pids() if (value := rss_mb(pid)) is not None]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)  # gunicorn's graceful shutdown: the master stops its workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()
