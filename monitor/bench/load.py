"""A small closed-loop HTTP load generator for loopback benchmarks (no third-party client).

Each of *concurrency* threads keeps one HTTP/1.1 connection and sends requests back to back for
a fixed time; latencies are recorded per request. Loopback only: the target is always a server
this process started on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LoadResult:
    path: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    #: HTTP status (0: connection failed) → count, for the requests that were not 200.
    failures: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(values: list[float], share: float) -> float:
    """The value below which *share* of *values* lie (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(share * len(ordered) + 0.5)) - 1))
    return ordered[index]


def hammer(port: int, path: str, *, concurrency: int = 16, seconds: float = 5.0,
           headers: Mapping[str, str] | None = None, warmup: int = 3) -> LoadResult:
    """GET *path* on 127.0.0.1:*port* from *concurrency* threads for *seconds*."""
    if not path.startswith("/"):
        raise ValueError("path must start with /")
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    failures: dict[int, int] = {}
    stop_at = [0.0]
    start_line = threading.Barrier(concurrency + 1)
    wanted = dict(headers or {})

    def worker(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(warmup):
            _get(connection, path, wanted)
        start_line.wait()
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            try:
                status = _get(connection, path, wanted)
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            latencies[slot].append(time.perf_counter() - began)
            if status != 200:
                errors[slot] += 1
                failures[status] = failures.get(status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + 3600  # released below, once every thread is warm
    start_line.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    flat = [x for part in latencies for x in part]
    return LoadResult(path, len(flat), sum(errors), elapsed,
                      percentile(flat, 0.50) * 1000, percentile(flat, 0.99) * 1000, failures)


def _get(connection: http.client.HTTPConnection, path: str, headers: Mapping[str, str]) -> int:
    connection.request("GET", path, headers=dict(headers))
    response = connection.getresponse()
    response.read()
    return response.status


def single(port: int, method: str, path: str, *, body: bytes | None = None,
           headers: Mapping[str, str] | None = None) -> tuple[int, bytes, float, dict[str, str]]:
    """One request; returns status, body, seconds and response headers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    began = time.perf_counter()
    connection.request(method, path, body=body, headers=dict(headers or {}))
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - began
    result = (response.status, data, elapsed, {k.lower(): v for k, v in response.getheaders()})
    connection.close()
    return result


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
