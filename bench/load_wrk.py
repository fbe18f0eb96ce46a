"""Running wrk for bench/load.py: one thread, a fixed number of connections and seconds, the
requests of a file sent in turn by bench/lua/rotate.lua; its JSON line read back."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "lua" / "rotate.lua"


@dataclass(frozen=True)
class Load:
    connections: int
    seconds: int
    token: str
    # before a read is measured: each of its requests once, then this many seconds of them
    warmup: int = 3


@dataclass(frozen=True)
class Measured:
    """What wrk measured for one operation."""

    operation: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    status_5xx: int
    non_2xx: int
    socket_errors: int
    timeouts: int
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "per_second": round(self.per_second, 1)}


def wrk_version() -> str:
    if shutil.which("wrk") is None:
        raise SystemExit("bench/load.py needs wrk (apt-get install wrk)")
    answer = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (answer.stdout + answer.stderr).splitlines()[0].strip()


def start(base_url: str, requests: Path, load: Load) -> subprocess.Popen[str]:
    """wrk on its way (it ends by itself after ``load.seconds``)."""
    command = [
        "wrk",
        "-t1",
        f"-c{load.connections}",
        f"-d{load.seconds}s",
        "--timeout",
        "60s",  # a slower answer is counted as a timeout, left out of the latencies
        "-s",
        str(SCRIPT),
        "-H",
        f"Authorization: Bearer {load.token}",
        base_url,
        "--",
        str(requests),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result(operation: str, process: subprocess.Popen[str]) -> Measured:
    out, err = process.communicate(timeout=600)
    line = next((x for x in reversed(out.splitlines()) if x.startswith("{")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk for {operation} failed ({process.returncode}): {out}{err}")
    raw = json.loads(line)
    return Measured(
        operation=operation,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        status_5xx=raw["status_5xx"],
        non_2xx=raw["non_2xx"],
        socket_errors=raw["socket_errors"],
        timeouts=raw["timeouts"],
        statuses=raw["statuses"],
    )


def send_each_once(base_url: str, requests: Path, token: str) -> None:
    """Every GET of the file once, one after another: what a read measures is then the
    steady state of a clinic's day (answers kept, api/answers.py), not the first pass."""
    for line in requests.read_text().splitlines():
        method, _, path = line.partition("\t")
        if method == "GET":
            ask = urllib.request.Request(
                base_url + path.split("\t")[0], headers={"Authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(ask, timeout=60) as answer:
                answer.read()


def warm_up(operation: str, base_url: str, requests: Path, load: Load) -> None:
    """Each request once, then ``load.warmup`` seconds of them, unmeasured."""
    if load.warmup:
        send_each_once(base_url, requests, load.token)
        warming = Load(load.connections, load.warmup, load.token, warmup=0)
        result(operation, start(base_url, requests, warming))


def measure(operation: str, base_url: str, requests: Path, load: Load) -> Measured:
    warm_up(operation, base_url, requests, load)
    return result(operation, start(base_url, requests, load))


def measure_together(runs: list[tuple[str, str, Path]], load: Load) -> list[Measured]:
    """Several wrk at once (each ``(operation, base_url, requests)``), e.g. reads during a
    booking storm."""
    processes = [(name, start(url, requests, load)) for name, url, requests in runs]
    return [result(name, process) for name, process in processes]


def measure_alternating(
    runs: list[tuple[str, str, Path]], load: Load, rounds: int = 5
) -> list[Measured]:
    """Operations whose throughputs are compared (each ``(operation, base_url, requests)``),
    measured in turn, ``rounds`` times ``load.seconds / rounds`` each: a swing of the
    machine's speed during the run falls on all of them alike, not on whichever ran then.
    Requests and seconds add up; p50, p99 and max are the worst round's."""
    for name, url, requests in runs:
        warm_up(name, url, requests, load)
    share = Load(load.connections, max(1, round(load.seconds / rounds)), load.token, warmup=0)
    found: dict[str, list[Measured]] = {name: [] for name, _, _ in runs}
    for _ in range(rounds):
        for name, url, requests in runs:
            found[name].append(result(name, start(url, requests, share)))
    return [_summed(name, parts) for name, parts in found.items()]


def _summed(operation: str, parts: list[Measured]) -> Measured:
    statuses: dict[str, int] = {}
    for part in parts:
        for status, count in part.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Measured(
        operation=operation,
        requests=sum(p.requests for p in parts),
        seconds=sum(p.seconds for p in parts),
        p50_ms=max(p.p50_ms for p in parts),
        p99_ms=max(p.p99_ms for p in parts),
        max_ms=max(p.max_ms for p in parts),
        status_5xx=sum(p.status_5xx for p in parts),
        non_2xx=sum(p.non_2xx for p in parts),
        socket_errors=sum(p.socket_errors for p in parts),
        timeouts=sum(p.timeouts for p in parts),
        statuses=statuses,
    )
