"""Soak: many phones replay their outboxes through gunicorn while workers and masters are
killed; afterwards every record is stored exactly once, as last sent, and every puller has it.

Each phone is a thread with its own API token and its own queue of records, replayed in
order, one at a time, the way the field app's outbox does (DESIGN.md §5): per visit, the
new persons met, the visit, then a conversation with each person. A network error, 5xx or 429
keeps the record and retries it with backoff; any other answer than 200/201 is a failure. A
share of new records is sent twice at the same moment (two overlapping replays). Two more
phones pull /api/v1/sync all along and keep what they receive. Meanwhile gunicorn workers
(SIGKILL of one worker) and masters (SIGKILL of the master, whose workers then exit, and a
restart) are killed at random moments; phones of a dead server fail over to another one, as
behind a load balancer.

At the end, read back through the API: lost (an outbox record not stored), duplicated (a
stored record no outbox made), wrong (stored content differs from what was last sent),
missed by a puller, server errors inside and outside the kill windows, retries, requests/s
and PUT latency.

    .venv/bin/python benchmarks/sync_soak.py                     # SQLite, 50 phones x 100
    bash scripts/with-postgres.sh .venv/bin/python benchmarks/sync_soak.py --db postgresql
    .venv/bin/python benchmarks/sync_soak.py --worker-kills 0 --master-kills 0   # latency

Exits with status 1 when anything is lost, duplicated, wrong, missed or a server error
happened outside a kill window. Not part of `make test`; a short run is part of `.ci/run`.
Results: docs/performance.md, "## Sync under load".
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RETRYABLE = {429, 500, 502, 503, 504}
REQUEST_TIMEOUT = 30  # seconds: a request that takes longer counts as a network error
RECORD_DEADLINE = 180  # seconds a phone keeps retrying one record before calling it lost
NATIONALITIES = ("TH", "RO", "NG", "BG", "CN", "ES", "HU", "VN", "BR", "UA")


def cpu_seconds(pids) -> float:
    """User + system CPU of these processes and of their children that have exited."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the database and its users --------------------------------------------------------------


def prepare(database_url: str, phones: int) -> dict:
    """Migrate, then one organisation with a coordinator, one nurse per phone and puller,
    and API tokens for all. Runs in this process."""
    os.environ.update(DATABASE_URL=database_url, OUTREACH_ENV="development")
    from flask_migrate import upgrade

    from outreach import create_app
    from outreach.auth.services import create_token, create_user
    from outreach.db import db
    from outreach.orgs.models import Organisation
    from outreach.orgs.services import create_organisation

    app = create_app({"TENANCY_GUARD": "off", "TESTING": False})
    with app.app_context():
        upgrade()
        if db.session.scalar(db.select(Organisation.id).limit(1)) is not None:
            sys.exit("The database has data already; the soak needs an empty one.")
        org = create_organisation("Soak", ["midtjylland", "nordjylland"])
        org.settings = {"supplies": ["condoms", "lubricant"], "indicators": ["debt"]}
        password = secrets.token_urlsafe(16)
        coordinator = create_user(org, "coordinator@soak.test", password, "coordinator")
        nurses = [
            create_user(org, f"nurse{n}@soak.test", password, "nurse", name=f"Nurse {n}")
            for n in range(phones + 2)
        ]
        db.session.flush()
        tokens = [create_token(nurse, "soak")[1] for nurse in nurses]
        coordinator_token = create_token(coordinator, "soak")[1]
        db.session.commit()
        staff = [str(n.id) for n in nurses]
        db.session.remove()
        db.engine.dispose()
    return {
        "tokens": tokens,
        "staff": staff,
        "coordinator": coordinator_token,
    }


def make_clinics(servers, token: str, count: int, stats) -> list[str]:
    """The clinics the phones visit, put by the coordinator before the phones start."""
    client = Client(servers, 0, token, stats)
    ids = []
    for n in range(count):
        clinic_id = str(uuid.uuid4())
        body = {
            "name": f"Klinik {n}",
            "kind": "massage_clinic",
            "address": f"Vestergade {n + 1}",
            "postcode": "8000",
            "city": "Aarhus C",
            "lat": 56.15 + n / 1000,
            "lon": 10.20 + n / 1000,
        }
        if send(client, f"/api/v1/clinics/{clinic_id}", body, stats, "clinic") != 201:
            raise RuntimeError(f"the clinic could not be created: {stats.refused[-1:]}")
        ids.append(clinic_id)
    client.close()
    return ids


# --- servers ---------------------------------------------------------------------------------


class Server:
    """One gunicorn instance (master and workers) on its own port."""

    def __init__(self, name: str, database_url: str, workers: int, log_dir: Path):
        self.name = name
        self.port = free_port()
        self.env = {
            **os.environ,
            "OUTREACH_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": database_url,
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "LOG_FORMAT": "json",
        }
        self.log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def start(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.process = subprocess.Popen(  # noqa: S603
                [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=self.log,
                stderr=self.log,
            )
            while time.monotonic() < deadline and self.process.poll() is None:
                if self.ready():
                    return
                time.sleep(0.2)
            # The old master's orphaned workers may still hold the port for a moment.
            time.sleep(0.5)
        raise RuntimeError(f"server {self.name} did not start; see its log")

    def ready(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            connection.request("GET", "/readyz")
            return connection.getresponse().status == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def cpu(self) -> float:
        if self.process is None:
            return 0.0
        return cpu_seconds([self.process.pid, *self.workers()])

    def kill_worker(self) -> bool:
        workers = self.workers()
        if not workers:
            return False
        os.kill(random.choice(workers), signal.SIGKILL)
        return True

    def kill_master(self) -> None:
        """SIGKILL the master, then what systemd does before restarting the unit
        (docs/deployment.md, Restart=on-failure): TERM to the processes left in it, the
        orphaned workers, which finish their request, and KILL after a few seconds."""
        orphans = self.workers()
        self.process.kill()
        self.process.wait()
        for pid in orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in orphans):
            time.sleep(0.05)
        for pid in orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# --- measurements ----------------------------------------------------------------------------


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    retries: int = 0
    put_latencies: list = field(default_factory=list)
    errors_in_window: int = 0  # 5xx or network errors while a server was being killed
    errors_outside: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # answers no outbox expects: failures
    twins: int = 0
    kill_windows: list = field(default_factory=list)  # [start, end] in monotonic seconds
    open_windows: int = 0

    def in_window(self, started: float, ended: float) -> bool:
        with self.lock:
            if self.open_windows:
                return True
            return any(s <= ended and started <= e for s, e in self.kill_windows)

    def error(self, started: float, what: str) -> None:
        ended = time.monotonic()
        # A window closes a moment after the server is back: requests queued at the kill
        # may still be answered by a dying worker.
        inside = self.in_window(started - 0.5, ended + 0.5)
        with self.lock:
            if inside:
                self.errors_in_window += 1
            else:
                self.errors_outside.append(what)


class Client:
    """A keep-alive connection to one of the servers; fails over on network errors."""

    def __init__(self, servers: list[Server], first: int, token: str, stats: Stats):
        self.servers = servers
        self.index = first % len(servers)
        self.token = token
        self.stats = stats
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            port = self.servers[self.index].port
            self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        return self.connection

    def request(self, method: str, path: str, body: dict | None = None):
        """(status, parsed body) or (None, error text) on a network error."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        with self.stats.lock:
            self.stats.requests += 1
        try:
            connection = self._connect()
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            try:
                parsed = json.loads(payload) if payload else None
            except ValueError:
                parsed = payload[:200]
            return response.status, parsed
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            self.index = (self.index + 1) % len(self.servers)  # the balancer tries another
            return None, type(exc).__name__

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def send(client: Client, path: str, body: dict, stats: Stats, label: str) -> int | None:
    """PUT until the server confirms (200/201), like the outbox; the final status."""
    delay = 0.05
    deadline = time.monotonic() + RECORD_DEADLINE
    while time.monotonic() < deadline:
        started = time.monotonic()
        status, answer = client.request("PUT", path, body)
        if status in (200, 201):
            with stats.lock:
                stats.put_latencies.append(time.monotonic() - started)
            return status
        if status is None or status in RETRYABLE:
            if status != 429:
                stats.error(started, f"{label}: {status or answer}")
            with stats.lock:
                stats.retries += 1
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            continue
        with stats.lock:
            stats.refused.append(f"{label}: {status} {str(answer)[:200]}")
        return status
    return None


# --- phones ----------------------------------------------------------------------------------


def outbox(rng: random.Random, phone: int, records: int, clinics: list, staff: str) -> list:
    """A phone's day: per visit, the new persons met, the visit, a conversation with each."""
    queue: list = []
    now = datetime.now(UTC)
    n = 0
    while len(queue) < records:
        visit_id = str(uuid.uuid4())
        persons = [str(uuid.uuid4()) for _ in range(rng.randint(0, 2))]
        started = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
        for person_id in persons:
            queue.append(
                (
                    "persons",
                    person_id,
                    {
                        "alias": f"P{phone}-{n}-{person_id[:4]}",
                        "nationality": rng.choice(NATIONALITIES),
                        "birth_year": rng.randint(1975, 2004),
                        "gender": "woman",
                        "languages": ["en"],
                    },
                )
            )
            n += 1
        queue.append(
            (
                "visits",
                visit_id,
                {
                    "clinic_id": rng.choice(clinics),
                    "started_at": started.isoformat(),
                    "ended_at": (started + timedelta(minutes=40)).isoformat(),
                    "outcome": "admitted" if persons else "not_admitted",
                    "not_admitted_reason": None if persons else "no_answer",
                    "persons_present": len(persons) + rng.randint(0, 1) if persons else None,
                    "staff": [staff],
                    "supplies": {"condoms": rng.randint(1, 60)} if persons else {},
                    "notes": f"soak visit {phone}-{n}",
                },
            )
        )
        n += 1
        for person_id in persons:
            queue.append(
                (
                    "conversations",
                    str(uuid.uuid4()),
                    {
                        "person_id": person_id,
                        "visit_id": visit_id,
                        "channel": "visit",
                        "topics": ["health_advice"],
                        "notes": f"soak conversation {phone}-{n}",
                    },
                )
            )
            n += 1
    return queue[:records] if queue[records - 1][0] != "persons" else queue[: records - 1]


def send_twice(client: Client, twin: Client, path: str, body: dict, stats, label) -> bool:
    """Both copies through at once (a barrier); True when both were confirmed."""
    barrier = threading.Barrier(2)
    results = [None, None]

    def go(i: int, c: Client) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=10)
        results[i] = send(c, path, body, stats, label + " (twin)")

    threads = [threading.Thread(target=go, args=(i, c)) for i, c in enumerate((client, twin))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=RECORD_DEADLINE + 30)
    twin.close()
    with stats.lock:
        stats.twins += 1
    return all(r in (200, 201) for r in results)


def phone(n, servers, token, queue, stats, twin_share, rng, confirmed, stop_at, pause) -> None:
    client = Client(servers, n, token, stats)
    for kind, record_id, body in queue:
        if time.monotonic() > stop_at:
            break
        if pause:
            # Between records a phone waits (mean `pause` seconds, exponential): a nurse's
            # phone sends a visit's records when they are saved, not back to back.
            time.sleep(rng.expovariate(1 / pause))
        path = f"/api/v1/{kind}/{record_id}"
        label = f"phone {n} {kind}"
        if rng.random() < twin_share:
            # The same new record twice at the same moment: a replay still running when the
            # next one starts (the page reloaded, the timer fired).
            if send_twice(client, Client(servers, n + 1, token, stats), path, body, stats, label):
                confirmed.append((kind, record_id))
        elif send(client, path, body, stats, label) in (200, 201):
            confirmed.append((kind, record_id))
    client.close()


def puller(n, servers, token, stats, seen: dict, done: threading.Event, failures: list) -> None:
    """Pull all along, keeping the newest copy of every record; one last pull after `done`."""
    client = Client(servers, n, token, stats)
    cursor = 0
    last_round = False
    while True:
        for _ in range(10_000):
            started = time.monotonic()
            status, answer = client.request("GET", f"/api/v1/sync?cursor={cursor}&limit=500")
            if status != 200:
                if status is None or status in RETRYABLE:
                    if status != 429:
                        stats.error(started, f"puller {n}: {status or answer}")
                    time.sleep(0.2)
                    continue
                failures.append(f"puller {n}: {status} {str(answer)[:200]}")
                return
            for kind in ("clinics", "visits", "persons"):
                for row in answer[kind]:
                    seen[(kind, row["id"])] = row
            cursor = answer["cursor"]
            if not answer["more"]:
                break
        if last_round:
            break
        if done.is_set():
            last_round = True  # everything has committed: this round must bring the rest
        else:
            time.sleep(0.3)
    client.close()


def kill_plan(worker_kills: int, master_kills: int) -> list[str]:
    """The kills in order, masters spread evenly among the workers' (W W M W W W M W)."""
    plan = ["worker"] * worker_kills
    for i in range(master_kills):
        plan.insert(int((i + 1) * len(plan) / (master_kills + 1) + 0.5) + i, "master")
    return plan


def killer(servers, stats, plan, total, confirmed, done, rng, log) -> None:
    """Kill i of k when the phones have confirmed i/(k+1) of their records: every kill falls
    in the middle of the work, however fast this machine is. One at a time, each in its
    window (a master's window lasts until it is restarted and ready)."""
    for i, what in enumerate(plan):
        threshold = total * (i + 1) / (len(plan) + 1)
        while len(confirmed) < threshold:
            if done.wait(0.05):
                return
        server = rng.choice(servers)
        with stats.lock:
            stats.open_windows += 1
        started = time.monotonic()
        if what == "worker":
            killed = server.kill_worker()
            time.sleep(2)  # the master replaces the worker within a second
        else:
            server.kill_master()
            server.start()
            killed = True
        ended = time.monotonic()
        with stats.lock:
            stats.open_windows -= 1
            if killed:
                stats.kill_windows.append((started, ended))
        log(
            f"  {len(confirmed)} records in: killed the {what} of {server.name}"
            + (f", back after {ended - started:.1f} s" if killed else " (no worker found)")
        )


# --- checking --------------------------------------------------------------------------------


def read_back(servers, token: str, stats: Stats) -> dict:
    """Every person, visit and conversation of the organisation, through the list API."""
    client = Client(servers, 0, token, stats)
    stored: dict = {}
    for kind in ("persons", "visits", "conversations"):
        page = 1
        while True:
            status, answer = client.request("GET", f"/api/v1/{kind}?page={page}&per_page=1000")
            if status != 200:
                raise RuntimeError(f"reading {kind} back: {status} {answer}")
            for row in answer["items"]:
                stored.setdefault((kind, row["id"]), []).append(row)
            if page * answer["per_page"] >= answer["total"]:
                break
            page += 1
    client.close()
    return stored


def differs(kind: str, sent: dict, row: dict) -> bool:
    """The fields that show whether the stored record is the one sent."""
    keys = {
        "persons": ("alias", "nationality", "birth_year"),
        "visits": ("clinic_id", "outcome", "persons_present", "notes", "supplies"),
        "conversations": ("person_id", "visit_id", "notes"),
    }[kind]
    return any(sent.get(k) != row.get(k) for k in keys)


# --- the run ---------------------------------------------------------------------------------


def run(args, database_url: str, log) -> dict:
    rng = random.Random(args.seed)
    log(f"preparing {args.phones} phones on {database_url.split('://')[0]} ...")
    setup = prepare(database_url, args.phones)
    log_dir = Path(tempfile.mkdtemp(prefix="outreach-soak-"))
    servers = [
        Server(f"server-{i + 1}", database_url, args.workers, log_dir) for i in range(args.servers)
    ]
    stats = Stats()
    try:
        for server in servers:
            server.start()
        clinics = make_clinics(servers, setup["coordinator"], args.clinics, stats)
        stats.put_latencies.clear()
        queues = [
            outbox(rng, n, args.records, clinics, setup["staff"][n]) for n in range(args.phones)
        ]
        sent = {(kind, rid): body for queue in queues for kind, rid, body in queue}
        done = threading.Event()
        confirmed: list = []
        pulled = [{}, {}]
        puller_failures: list = []
        pullers = [
            threading.Thread(
                target=puller,
                args=(n, servers, setup["tokens"][args.phones + n], stats, pulled[n], done),
                kwargs={"failures": puller_failures},
            )
            for n in range(2)
        ]
        stop_at = time.monotonic() + args.max_seconds
        phones = [
            threading.Thread(
                target=phone,
                args=(
                    n,
                    servers,
                    setup["tokens"][n],
                    queues[n],
                    stats,
                    args.twins,
                    random.Random(rng.random()),
                    confirmed,
                    stop_at,
                    args.pause,
                ),
            )
            for n in range(args.phones)
        ]
        plan = kill_plan(args.worker_kills, args.master_kills)
        kills = threading.Thread(
            target=killer,
            args=(servers, stats, plan, len(sent), confirmed),
            kwargs={"done": done, "rng": random.Random(args.seed + 1), "log": log},
        )
        log(f"{len(sent)} records in {args.phones} outboxes; go")
        started = time.monotonic()
        cpu_before = (
            sum(server.cpu() for server in servers),
            time.process_time(),
            cpu_seconds(postgres_pids()),
        )
        for thread in [*pullers, *phones, kills]:
            thread.start()
        for thread in phones:
            thread.join(timeout=max(1.0, stop_at + RECORD_DEADLINE - time.monotonic()))
        elapsed = time.monotonic() - started
        cpu_after = (
            sum(server.cpu() for server in servers),
            time.process_time(),
            cpu_seconds(postgres_pids()),
        )
        if not database_url.startswith("postgresql"):
            cpu_before, cpu_after = cpu_before[:2], cpu_after[:2]
        done.set()
        kills.join(timeout=120)
        for thread in pullers:
            thread.join(timeout=120)
        requests_during = stats.requests
        stored = read_back(servers, setup["coordinator"], stats)
    finally:
        for server in servers:
            server.stop()

    lost = [key for key in sent if key not in stored]
    duplicated = sum(len(rows) - 1 for rows in stored.values()) + sum(
        1 for key in stored if key not in sent
    )
    wrong = [
        key for key, rows in stored.items() if key in sent and differs(key[0], sent[key], rows[0])
    ]
    expected_pull = {key for key in sent if key[0] in ("persons", "visits")}
    missed = [
        len(expected_pull - {k for k in seen if k[0] in ("persons", "visits")}) for seen in pulled
    ]
    latencies = sorted(stats.put_latencies)
    return {
        "database": database_url.split("+")[0].split(":")[0],
        "servers": args.servers,
        "workers": args.workers,
        "phones": args.phones,
        "pause_s": args.pause,
        "records": len(sent),
        "confirmed": len(set(confirmed)),
        "lost": len(lost),
        "duplicated": duplicated,
        "wrong": len(wrong),
        "wrong_examples": [{"sent": sent[key], "stored": stored[key][0]} for key in wrong[:2]],
        "missed_by_pullers": missed,
        "refused": stats.refused[:10],
        "puller_failures": puller_failures,
        "twins": stats.twins,
        "kills": f"{len(stats.kill_windows)} of {len(plan)}",
        "all_kills_done": len(stats.kill_windows) == len(plan),
        "errors_in_windows": stats.errors_in_window,
        "errors_outside": len(stats.errors_outside),
        "errors_outside_examples": stats.errors_outside[:10],
        "retries": stats.retries,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(requests_during / elapsed, 1),
        "put_p50_ms": round(statistics.median(latencies) * 1000) if latencies else None,
        "put_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000)
        if latencies
        else None,
        "put_max_ms": round(latencies[-1] * 1000) if latencies else None,
        # CPU per request while the phones ran (gunicorn masters and workers; this process,
        # i.e. phones and pullers; PostgreSQL's processes). Exact without kills only: a killed
        # worker takes its counts with it.
        "cpu_ms_per_request": {
            part: round((after - before) * 1000 / max(1, requests_during), 1)
            for part, before, after in zip(
                ("gunicorn", "client", "postgresql"), cpu_before, cpu_after, strict=False
            )
        },
        "logs": str(log_dir),
    }


def failed(result: dict) -> bool:
    return bool(
        result["lost"]
        or result["duplicated"]
        or result["wrong"]
        or any(result["missed_by_pullers"])
        or result["refused"]
        or result["puller_failures"]
        or result["errors_outside"]
        or result["confirmed"] != result["records"]
        or not result["all_kills_done"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--records", type=int, default=100, help="records per phone")
    parser.add_argument("--servers", type=int, default=2, help="gunicorn instances")
    parser.add_argument("--workers", type=int, default=4, help="workers per instance")
    parser.add_argument("--worker-kills", type=int, default=6)
    parser.add_argument("--master-kills", type=int, default=2)
    parser.add_argument("--twins", type=float, default=0.02, help="share of records sent twice")
    parser.add_argument("--clinics", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="mean seconds a phone waits between records (0: back to back, the server saturated)",
    )
    parser.add_argument(
        "--max-seconds", type=float, default=900, help="phones stop starting records after this"
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    # One throwaway key ring for the set-up here and every server (production needs one).
    from outreach.crypto import generate_keys

    os.environ.update(line.split("=", 1) for line in generate_keys())
    if args.db == "postgresql":
        database_url = os.environ.get("DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        if not database_url:
            sys.exit(
                "Set DATABASE_URL to an empty PostgreSQL database, or run under "
                "scripts/with-postgres.sh."
            )
        result = run(args, database_url, log)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = run(args, f"sqlite:///{tmp}/soak.sqlite3", log)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    sys.exit(1 if failed(result) else 0)


if __name__ == "__main__":
    main()
