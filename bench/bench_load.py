"""Load benchmark: people working in the web UI and API, served by gunicorn, on PostgreSQL.

    .venv/bin/python bench/bench_load.py --prepare --persons 1000000     # build the database once
    .venv/bin/python bench/bench_load.py --users 50 --duration 180        # the measured run

A second process (this one) simulates ``--users`` signed-in people on loopback, each sending a
request every ``--think`` seconds on average (exponential think time) over the main pages and API
routes, for ``--duration`` seconds and at most ``--max-requests`` requests. It then measures the
maximum throughput with closed-loop clients that do not think. Prints JSON lines (latency
percentiles per route, errors, throughput, server RSS) and a markdown table for
docs/benchmarks.md. Everything stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
PASSWORD = "bench-load-password-2026"  # noqa: S105 - demo accounts of a scratch database
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Half the people are county managers, half township case workers (who see one township only).
ACCOUNTS = ["demo_county", "demo_township"]


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def prepare(name: str, persons: int, seed: int) -> None:
    """Create the database, migrate it and generate about ``persons`` people (≈2.5 per household)."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "JIUZHU_DATABASE_URL": database_url(name), "JIUZHU_DEMO_PASSWORD": PASSWORD}
    households = int(persons / 1.95)  # the generator averages about two persons per household
    started = time.perf_counter()
    subprocess.run(
        [str(VENV / "jiuzhu"), "demo", "--households", str(households), "--seed", str(seed), "--no-serve"],
        env=env,
        check=True,
    )
    with psycopg.connect(database_url(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        count = conn.execute("SELECT count(*) FROM registry_person").fetchone()
    print(
        json.dumps(
            {"kind": "prepare", "persons": count[0] if count else 0, "seconds": round(time.perf_counter() - started, 1)}
        ),
        flush=True,
    )


@dataclass
class Samples:
    household_ids: list[int]
    id_numbers: list[str]
    names: list[str]
    categories: list[str] = field(default_factory=lambda: ["dibao", "tekun", "marginal", "rigid_expense"])


def _first_township(name: str, county: str) -> str:
    """The township the demo_township account works in (the county's first, by code)."""
    with psycopg.connect(database_url(name)) as conn:
        row = conn.execute(
            "SELECT r.code FROM accounts_user u JOIN regions_region r ON r.code = u.region_id "
            "WHERE u.username = 'demo_township'"
        ).fetchone()
    if row is None:
        raise SystemExit("demo_township is missing: run with --prepare")
    return str(row[0])[:9]


def load_samples(name: str, county_prefix: str) -> Samples:
    with psycopg.connect(database_url(name)) as conn:
        households = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM registry_household WHERE region_id LIKE %s ORDER BY random() LIMIT 2000",
                (county_prefix + "%",),
            )
        ]
        people = conn.execute(
            "SELECT id_number, name FROM registry_person WHERE region_id LIKE %s AND status = 'active' "
            "ORDER BY random() LIMIT 2000",
            (county_prefix + "%",),
        ).fetchall()
    return Samples(
        household_ids=households, id_numbers=[p[0] for p in people], names=sorted({p[1][:2] for p in people})
    )


class Client:
    """One person's browser: a keep-alive connection, a session cookie, an API token."""

    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.username = username
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        all_headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, data

    def login(self) -> None:
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise RuntimeError(f"login page answered {status}")
        body = urllib.parse.urlencode(
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()}
        ).encode()
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}/accounts/login/",
            },
        )
        assert status == 302, f"login of {self.username} answered {status}"
        status, data = self.request(
            "POST",
            "/api/v1/auth/token",
            json.dumps({"username": self.username, "password": PASSWORD}).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 200, f"token for {self.username} answered {status}"
        self.token = json.loads(data)["token"]


def choose_action(rng: random.Random, samples: Samples) -> tuple[str, str, dict[str, str]]:
    """One step of a case worker's day: (route label, path, headers)."""
    roll = rng.random()
    if roll < 0.10:
        return "home", "/", {}
    if roll < 0.30:
        return "list", f"/registry/households/?page={rng.randint(1, 50)}", {}
    if roll < 0.40:
        return "list_category", f"/registry/households/?category={rng.choice(samples.categories)}", {}
    if roll < 0.55:
        return "search_id", "/registry/households/?" + urllib.parse.urlencode({"q": rng.choice(samples.id_numbers)}), {}
    if roll < 0.65:
        return "search_name", "/registry/households/?" + urllib.parse.urlencode({"q": rng.choice(samples.names)}), {}
    if roll < 0.80:
        return "detail", f"/registry/households/{rng.choice(samples.household_ids)}/", {}
    if roll < 0.88:
        return "api_list", f"/api/v1/households?page={rng.randint(1, 20)}&page_size=50", {"api": "1"}
    if roll < 0.95:
        return "api_detail", f"/api/v1/households/{rng.choice(samples.household_ids)}", {"api": "1"}
    return (
        "api_search",
        "/api/v1/households?" + urllib.parse.urlencode({"q": rng.choice(samples.id_numbers)}),
        {"api": "1"},
    )


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0

    def add(self, route: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.latencies[route].append(seconds)
            self.count += 1
            if not ok:
                self.errors[route] += 1


def run_user(
    client: Client,
    samples: dict[str, Samples],
    recorder: Recorder,
    *,
    seed: int,
    deadline: float,
    think: float,
    max_requests: int,
) -> None:
    rng = random.Random(seed)
    time.sleep(rng.uniform(0, think))  # people don't all start at once
    while time.monotonic() < deadline and recorder.count < max_requests:
        route, path, flags = choose_action(rng, samples[client.username])
        headers = {"Authorization": f"Bearer {client.token}"} if flags.get("api") else {}
        started = time.perf_counter()
        try:
            status, _ = client.request("GET", path, headers=headers)
            ok = status == 200
        except (OSError, http.client.HTTPException):
            ok = False
        recorder.add(route, time.perf_counter() - started, ok)
        if think:
            time.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - time.monotonic())))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summarise(recorder: Recorder, label: str, seconds: float) -> dict[str, object]:
    every = [v for values in recorder.latencies.values() for v in values]
    routes = {
        route: {
            "n": len(values),
            "p50_ms": round(percentile(values, 0.5) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "errors": recorder.errors.get(route, 0),
        }
        for route, values in sorted(recorder.latencies.items())
    }
    return {
        "kind": label,
        "requests": len(every),
        "seconds": round(seconds, 1),
        "throughput_rps": round(len(every) / seconds, 1),
        "p50_ms": round(percentile(every, 0.5) * 1000, 1),
        "p95_ms": round(percentile(every, 0.95) * 1000, 1),
        "mean_ms": round(statistics.fmean(every) * 1000, 1),
        "errors": sum(recorder.errors.values()),
        "routes": routes,
    }


def start_server(name: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is already in use: choose another with --port")
    env = {**os.environ, "JIUZHU_DATABASE_URL": database_url(name), "DJANGO_SETTINGS_MODULE": "jiuzhu.settings.base"}
    server = subprocess.Popen(
        [
            str(VENV / "gunicorn"),
            "jiuzhu.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def server_rss_mib(server: subprocess.Popen[bytes]) -> float:
    process = psutil.Process(server.pid)
    return round(sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20, 1)


def phase(
    port: int, samples: dict[str, Samples], *, users: int, duration: float, think: float, max_requests: int, label: str
) -> dict[str, object]:
    load_start = os.getloadavg()[0]
    result = _phase(port, samples, users=users, duration=duration, think=think, max_requests=max_requests, label=label)
    # The machine is shared: the load average says how much else was running (it counts this benchmark too).
    result["load_average_start"] = round(load_start, 2)
    result["load_average_end"] = round(os.getloadavg()[0], 2)
    return result


def _phase(
    port: int, samples: dict[str, Samples], *, users: int, duration: float, think: float, max_requests: int, label: str
) -> dict[str, object]:
    clients = [Client(port, ACCOUNTS[i % 2]) for i in range(users)]  # county and township officers
    for client in clients:
        for attempt in range(3):
            try:
                client.login()
                break
            except (AssertionError, RuntimeError, OSError):
                if attempt == 2:
                    raise
                time.sleep(1)
    recorder = Recorder()
    deadline = time.monotonic() + duration
    started = time.perf_counter()
    threads = [
        threading.Thread(
            target=run_user,
            args=(client, samples, recorder),
            kwargs={"seed": index, "deadline": deadline, "think": think, "max_requests": max_requests},
            daemon=True,
        )
        for index, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 60)
    return summarise(recorder, label, time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="jiuzhu_bench_load")
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--county", default="140702")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--think", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=180.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--throughput-clients", type=int, default=8)
    parser.add_argument("--throughput-seconds", type=float, default=45.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--results", type=Path, help="also append the JSON lines to this file")
    args = parser.parse_args()

    def emit(record: dict[str, object]) -> None:
        line = json.dumps(record, ensure_ascii=False)
        print(line, flush=True)
        if args.results:
            with args.results.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")

    if args.prepare:
        prepare(args.database, args.persons, args.seed)
    township = _first_township(args.database, args.county)
    samples = {
        "demo_county": load_samples(args.database, args.county),
        "demo_township": load_samples(args.database, township),
    }
    with psycopg.connect(database_url(args.database)) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM registry_person), (SELECT count(*) FROM registry_household)"
        ).fetchone()
    assert row is not None
    machine = {
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }
    emit(
        {
            "kind": "setup",
            "persons": row[0],
            "households": row[1],
            **machine,
            "gunicorn_workers": args.workers,
            "threads": 4,
            "load_average": round(os.getloadavg()[0], 2),
        }
    )
    server = start_server(args.database, args.port, args.workers)
    try:
        results = [
            phase(
                args.port,
                samples,
                users=args.users,
                duration=args.duration,
                think=args.think,
                max_requests=args.max_requests,
                label="people",
            )
        ]
        results[0]["server_rss_mib"] = server_rss_mib(server)
        emit(results[0])
        results.append(
            phase(
                args.port,
                samples,
                users=args.throughput_clients,
                duration=args.throughput_seconds,
                think=0.0,
                max_requests=10**7,
                label="max_throughput",
            )
        )
        results[1]["server_rss_mib"] = server_rss_mib(server)
        emit(results[1])
    finally:
        server.terminate()
        server.wait(timeout=30)
    people = results[0]
    print("\n| route | n | p50 ms | p95 ms | max ms | errors |\n|---|---:|---:|---:|---:|---:|")
    for route, stats in people["routes"].items():  # type: ignore[attr-defined]
        print(
            f"| {route} | {stats['n']} | {stats['p50_ms']} | {stats['p95_ms']} | {stats['max_ms']} | "
            f"{stats['errors']} |"
        )
    return 0 if people["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
