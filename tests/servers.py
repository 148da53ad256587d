"""Real `geoservice serve` processes for tests that need a separate server process
(replicas, workers, memory), and free ports on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from geoservice.settings import REPO_ROOT

GEOSERVICE = str(Path(sys.executable).with_name("geoservice"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**settings: str) -> dict[str, str]:
    """The environment without the developer's GEOSERVICE_* variables, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEOSERVICE_")}
    env.update(settings)
    return env


class Served:
    """``geoservice serve`` on a free port, started and ready (``/api`` answers 200)."""

    def __init__(self, env: dict[str, str], *extra: str, log: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w") if log else None
        self.process = subprocess.Popen(
            [GEOSERVICE, "serve", "--port", str(self.port), *extra], env=env, cwd=REPO_ROOT,
            stdout=self.log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/api", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                detail = log.read_text()[-2000:] if log else ""
                raise RuntimeError(f"geoservice serve did not start {detail}")
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        if self.log:
            self.log.close()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
