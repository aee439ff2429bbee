# ruff: noqa: RUF001, E501 (a document: typographic dashes and signs, prose lines)
"""docs/PERFORMANCE.md and docs/bench-results.json from one run's results."""

import json
import math
from typing import Any

from tests.bench.common import ROOT

DOCS = ROOT / "docs"


def _ms(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.0f} ms" if abs(value) >= 10 else f"{value:.1f} ms"


def _verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def _get(results: dict[str, Any], *path: str) -> Any:
    value: Any = results
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def checks(results: dict[str, Any], server: str) -> list[tuple[str, str, str, bool | None]]:
    """(what, figure, target, met) for every promise, with ``server``'s figures."""
    rows: list[tuple[str, str, str, bool | None]] = []
    fan = _get(results, "fanout", server) or {}
    latency = fan.get("latency_ms", {})
    ratio = fan.get("p50_ratio_to_bare")
    boards = _get(results, "fanout", "boards")
    rows.append(
        (f"Fan-out to {boards} boards, p99 from the API's response", _ms(latency.get("p99")), "≤ 250 ms",
         None if "p99" not in latency else latency["p99"] <= 250)
    )  # fmt: skip
    rows.append(
        ("Fan-out p50 (from the first socket's receipt), ratio to the bare broadcaster", f"{ratio}×" if ratio is not None else "–", "≤ 3×",
         None if ratio is None else ratio <= 3)
    )  # fmt: skip
    lost = fan.get("lost")
    rows.append(
        (
            "Fan-out: frames lost",
            str(lost) if lost is not None else "–",
            "0",
            None if lost is None else lost == 0,
        )
    )
    creation = _get(results, "creation", server) or {}
    rate = creation.get("rate_ratio")
    p99 = _get(creation, "create", "latency_ms", "p99")
    rows.append(
        ("Incident creation, rate ratio to a trivial view (32 clients)", f"{rate}×" if rate is not None else "–",
         "≥ 0.3×", None if rate is None else rate >= 0.3)
    )  # fmt: skip
    rows.append(("Incident creation p99", _ms(p99), "≤ 200 ms", None if p99 is None else p99 <= 200))
    queries = _get(results, "creation", "per_report", "queries")
    rows.append(
        ("Incident creation: queries per report", str(queries) if queries is not None else "–", "≤ 12",
         None if queries is None else queries <= 12)
    )  # fmt: skip
    escalation = _get(creation, "escalation", "latency_ms", "p50")
    rows.append(
        ("Escalation through the API, p50 (one after another)", _ms(escalation), "≤ 50 ms",
         None if escalation is None else escalation <= 50)
    )  # fmt: skip
    families = _get(results, "scale", "families") or {}
    incidents = _get(results, "scale", "incidents")
    for family, limit in (("list", 50), ("filters", 50), ("board", 50), ("search", 100)):
        p95 = _get(families, family, "ms", "p95")
        rows.append(
            (f"{family.capitalize()} p95 at {incidents or 0:,} incidents", _ms(p95), f"≤ {limit} ms",
             None if p95 is None else p95 <= limit)
        )  # fmt: skip
    for name, variant in (_get(families, "analytics", "variants") or {}).items():
        p95 = _get(variant, "ms", "p95")
        rows.append(
            (f"Analytics dashboard ({name}) p95 at {incidents or 0:,} incidents", _ms(p95), "≤ 200 ms",
             None if p95 is None else p95 <= 200)
        )  # fmt: skip
    for name, variant in (_get(families, "search", "variants") or {}).items():
        p95 = _get(variant, "ms", "p95")
        rows.append(
            (f"Search ({name}) p95 at {incidents or 0:,} incidents", _ms(p95), "≤ 100 ms",
             None if p95 is None else p95 <= 100)
        )  # fmt: skip
    smaller = _get(results, "scale", "smaller", "incidents")
    worst = _get(results, "scale", "worst_ratio")
    rows.append(
        (f"Worst p95 ratio, {incidents or 0:,} vs {smaller or 0:,} incidents (same requests)",
         f"{worst}×" if worst is not None else "–", "≤ 1.5×", None if worst is None else worst <= 1.5)
    )  # fmt: skip
    for name, ratio in (_get(results, "scale", "deep_ratio") or {}).items():
        rows.append(
            (f"List: {name} vs first page, p95 ratio", f"{ratio}×" if ratio is not None else "–", "≤ 1.2×",
             None if ratio is None else ratio <= 1.2)
        )  # fmt: skip
    constant = [f.get("queries_constant") for f in families.values()]
    rows.append(
        ("Query counts constant (10 vs 100 rows; two boards; analytics of two tenants)",
         "yes" if constant and all(constant) else ("no" if constant else "–"), "constant",
         all(constant) if constant else None)
    )  # fmt: skip
    idle = _get(results, "idle", server) or {}
    per = idle.get("kb_per_socket")
    rows.append(
        (f"Idle sockets on one process ({idle.get('sockets', '–')}): memory per socket",
         f"{per} KB" if per is not None else "–", "≤ 50 KB", None if per is None else per <= 50)
    )  # fmt: skip
    failures = idle.get("failures")
    rows.append(("Idle sockets: failures", str(failures) if failures is not None else "–", "0",
                 None if failures is None else failures == 0))  # fmt: skip
    render = _get(results, "pdf", "render_ms", "p50")
    entries = _get(results, "pdf", "timeline_entries")
    rows.append(
        (f"Debrief PDF ({entries} timeline entries) in a worker, p50 of warm renders",
         f"{render / 1000:.1f} s" if render else "–", "≤ 3 s", None if render is None else render <= 3000)
    )  # fmt: skip
    return rows


def choose_server(results: dict[str, Any]) -> str:
    """The server that meets the most targets; on a tie, the one with the tighter fan-out (the spread
    p50: the cost DESIGN.md's first promise is about)."""
    servers = results.get("servers") or ["daphne"]

    def score(server: str) -> tuple[int, float]:
        met = sum(1 for *_, ok in checks(results, server) if ok)
        return (-met, _get(results, "fanout", server, "spread_ms", "p50") or math.inf)

    return sorted(servers, key=score)[0]


def comparison(results: dict[str, Any]) -> str:
    """Which server did better on each figure that separates them, in words."""
    servers = [s for s in results.get("servers", []) if _get(results, "fanout", s)]
    if len(servers) < 2:
        return ""
    figures = [
        ("fan-out spread p50", ("fanout", "spread_ms", "p50"), min, "ms"),
        ("fan-out p99 from the response", ("fanout", "latency_ms", "p99"), min, "ms"),
        ("trivial view req/s", ("creation", "trivial", "requests_per_second"), max, "/s"),
        ("incident creation req/s", ("creation", "create", "requests_per_second"), max, "/s"),
        ("memory per idle socket", ("idle", "kb_per_socket"), min, "KB"),
    ]
    parts = []
    for label, (bench, *path), better, unit in figures:
        values = {s: _get(results, bench, s, *path) for s in servers}
        if any(v is None for v in values.values()):
            continue
        best = better(values, key=lambda s: values[s])
        shown = ", ".join(f"{s} {values[s]:,.1f} {unit}" for s in servers)
        parts.append(f"{label}: {best} ({shown})")
    return "; ".join(parts) + "."


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _latency_row(name: str, figures: dict[str, Any]) -> list[str]:
    latency = figures.get("latency_ms", {})
    request = figures.get("from_request_ms", {})
    spread = figures.get("spread_ms", {})
    return [
        name,
        *(_ms(latency.get(k)) for k in ("p50", "p95", "p99", "max")),
        _ms(request.get("p50")) + " / " + _ms(request.get("p99")),
        _ms(spread.get("p50")) + " / " + _ms(spread.get("p99")),
        str(figures.get("received_before_response", "–")),
        str(figures.get("lost", "–")),
        _ms(_get(figures, "api_ms", "p50")),
        f"{figures.get('server_cpu_seconds', '–')} s",
    ]


def markdown(results: dict[str, Any]) -> str:
    chosen = choose_server(results)
    servers = results.get("servers", [])
    scale = results["config"]
    machine = results["machine"]
    versions = results["versions"]
    out = [
        "# Watchpost performance",
        "",
        f"Measured by `make bench` (BENCH_SCALE={scale['name']}) on {results['started_at'][:10]}, "
        f"{results['started_at'][11:16]}–{results.get('finished_at', '')[11:16]} UTC. Generated from "
        "[bench-results.json](bench-results.json): edit `tests/bench/report.py`, not this file.",
        "",
        f"**Machine:** {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB, {machine['os']} "
        f"(kernel {machine['kernel']}), Python {machine['python']}. Everything ran on this one machine over "
        "loopback: the servers, the clients, PostgreSQL and Redis share its cores, so absolute figures are "
        "pessimistic; each comparison is against a baseline measured in the same run. Load average before "
        "each benchmark (other work on the machine): "
        + ", ".join(
            f"{name} {_get(results, name, 'load_before')}"
            for name in ("fanout", "creation", "idle", "pdf", "scale")
            if _get(results, name, "load_before") is not None
        )
        + ".",
        "",
        "**Versions:** "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
        + ". "
        + (
            f"**Code:** commit {results['code']['commit']}"
            + (
                f" with {results['code']['uncommitted_files']} files changed in the work tree (work in progress)."
                if results["code"]["uncommitted_files"]
                else "."
            )
            if "code" in results
            else ""
        ),
        "",
        "**Reproduce:** `make bench` (full: 1,000 boards, 200 escalations, 5,000 idle sockets, 1,000,000 "
        "incidents; the seeding alone takes several minutes) or `BENCH_SCALE=small make bench` (under ten "
        "minutes). The bench creates and migrates its own database `watchpost_bench` and uses Redis "
        "database 12, never the test or development data. `BENCH_ONLY=fanout,idle` runs some benchmarks "
        "(results in var/bench/), `BENCH_SERVERS=daphne` one server.",
        "",
        f"## Promises against targets ({chosen}, the server chosen below)",
        "",
        _table(
            ["what", "figure", "target", "verdict"],
            [[w, f, t, _verdict(ok)] for w, f, t, ok in checks(results, chosen)],
        ),
        "",
    ]
    others = [s for s in servers if s != chosen]
    for other in others:
        out += [
            f"With {other} for comparison:",
            "",
            _table(
                ["what", "figure", "target", "verdict"],
                [[w, f, t, _verdict(ok)] for w, f, t, ok in checks(results, other)],
            ),
            "",
        ]
    out += server_choice(results, chosen)
    out += fanout_section(results)
    out += creation_section(results)
    out += scale_section(results)
    out += idle_section(results)
    out += pdf_section(results)
    out += [FINDINGS, ANALYTICS]
    return "\n".join(out) + "\n"


def server_choice(results: dict[str, Any], chosen: str) -> list[str]:
    lines = ["## The ASGI server", ""]
    rows = []
    for server in results.get("servers", []):
        met = sum(1 for *_, ok in checks(results, server) if ok)
        rows.append([
            server,
            _ms(_get(results, "fanout", server, "spread_ms", "p50")),
            _ms(_get(results, "fanout", server, "latency_ms", "p99")),
            str(_get(results, "creation", server, "trivial", "requests_per_second")),
            str(_get(results, "creation", server, "create", "requests_per_second")),
            _ms(_get(results, "creation", server, "create", "latency_ms", "p99")),
            f"{_get(results, 'idle', server, 'kb_per_socket')} KB",
            str(met),
        ])  # fmt: skip
    lines += [
        _table(
            [
                "server",
                "fan-out spread p50",
                "fan-out p99 from response",
                "trivial req/s",
                "create req/s",
                "create p99",
                "KB per idle socket",
                "targets met",
            ],
            rows,
        ),
        "",
        f"**Chosen: {chosen}** — the server that meets the most targets in this run (on a tie, the one "
        "whose fan-out spread is tighter: fan-out is the cost to design for). Better in this run: "
        + comparison(results)
        + " "
        + CHOICE_NOTES,
        "",
    ]
    return lines


def fanout_section(results: dict[str, Any]) -> list[str]:
    fan = results.get("fanout") or {}
    if "error" in fan:
        return ["## Board fan-out", "", f"Failed: {fan['error']}", ""]
    rows = [_latency_row("bare broadcaster", fan.get("bare", {}))]
    rows += [_latency_row(server, fan[server]) for server in results.get("servers", []) if server in fan]
    return [
        "## 1. Board fan-out",
        "",
        f"{fan.get('boards')} board websockets, each a liaison of one agency with a signed-in session (and "
        "MFA), spread over two server processes sharing one Redis channel layer; "
        f"{fan.get('escalations')} escalations made through `POST /api/v1/escalations/` (a supervisor's "
        "API token, alternating between the processes, one every 0.25 s, after 5 unmeasured ones). Each "
        "client notes when each frame arrives (system-wide monotonic clock); latency is from the moment the "
        "API's response was read. The agency pages its two watch commanders (an escalation policy): paging "
        "a thousand on-duty liaisons per escalation is another cost (below). The bare broadcaster "
        "(`tests/bench/broadcaster.py`, two processes) gets the same frames by Redis pub/sub and sends them "
        "to the same clients; its latency is from the PUBLISH's return.",
        "",
        _table(
            [
                "server",
                "p50",
                "p95",
                "p99",
                "max",
                "from request p50 / p99",
                "from first receipt p50 / p99",
                "arrived before the response",
                "lost",
                "API p50",
                "server CPU",
            ],
            rows,
        ),
        "",
        "The portal pushes the event when the transaction commits, before the response is written, so a "
        "frame often arrives before the API's response: those latencies are negative (p50 below 0 means "
        "most boards had the escalation before the supervisor's client had the answer). 'From request' is "
        "the whole path from the supervisor's click. 'From first receipt' is the fan-out itself: from the "
        "first socket's receipt of an event to each socket's, measured the same way for the bare "
        "broadcaster, which is why the ratio to the bare broadcaster is taken on it. 'Server CPU' is the "
        "CPU time the two server processes used during the measured escalations (API calls included).",
        "",
    ]


def creation_section(results: dict[str, Any]) -> list[str]:
    creation = results.get("creation") or {}
    if "error" in creation:
        return ["## 2. Incident creation", "", f"Failed: {creation['error']}", ""]
    rows = []
    for server in results.get("servers", []):
        for view in ("trivial", "create"):
            figures = _get(creation, server, view) or {}
            latency = figures.get("latency_ms", {})
            rows.append([
                server, view, str(figures.get("requests_per_second")),
                *(_ms(latency.get(k)) for k in ("p50", "p95", "p99")),
                json.dumps(figures.get("statuses", {})), f"{figures.get('server_cpu_seconds')} s",
            ])  # fmt: skip
    seconds = _get(creation, (results.get("servers") or ["daphne"])[0], "seconds")
    escalation_rows = []
    for server in results.get("servers", []):
        figures = _get(creation, server, "escalation") or {}
        latency = figures.get("latency_ms", {})
        escalation_rows.append(
            [
                server,
                *(_ms(latency.get(k)) for k in ("p50", "p95", "p99")),
                json.dumps(figures.get("statuses", {})),
            ]
        )
    return [
        "## 2. Incident creation",
        "",
        "32 concurrent clients (an in-process asyncio load generator on aiohttp, keep-alive connections, each "
        "sending its next request when the last answered), two server processes; "
        f"`POST /api/v1/incidents/` as 32 guards with API tokens, {seconds} s measured after 2 s of warm-up. "
        "The baseline is a trivial Django JSON view (`tests/bench/urls.py`) behind the same middleware, "
        "served by the same processes in the same run.",
        "",
        _table(["server", "view", "req/s", "p50", "p95", "p99", "statuses", "server CPU"], rows),
        "",
        f"Queries per report (counted in the runner's process through Django's test client and the same "
        f"middleware, without BEGIN/COMMIT): {_get(creation, 'per_report', 'queries')}, inserting into "
        f"{', '.join(_get(creation, 'per_report', 'inserts_into') or []) or '–'}.",
        "",
        "Escalations through the API (`POST /api/v1/escalations/`, a supervisor's token, one after "
        "another on one server process, no boards open; the first three not counted):",
        "",
        _table(["server", "p50", "p95", "p99", "statuses"], escalation_rows),
        "",
    ]


def scale_section(results: dict[str, Any]) -> list[str]:
    scale = results.get("scale") or {}
    if "error" in scale:
        return ["## 3. Scale", "", f"Failed: {scale['error']}", ""]
    rows = []
    smaller = scale.get("smaller") or {}
    for family, figures in (scale.get("families") or {}).items():
        for name, variant in figures["variants"].items():
            before = _get(smaller, "families", family, "variants", name, "ms", "p95")
            ratio = _get(scale, "ratios", family, name)
            rows.append([
                family, name, f"`{variant['path'][:70]}`", _ms(variant["ms"].get("p50")), _ms(variant["ms"].get("p95")),
                _ms(before), f"{ratio}×" if ratio is not None else "–",
                " / ".join(str(q) for q in variant["queries"]),
            ])  # fmt: skip
    seeded = scale.get("seed_seconds")
    return [
        "## 3. Scale",
        "",
        f"`manage.py seed_scale --incidents N` (PostgreSQL COPY with a progress bar) wrote {scale.get('incidents', 0):,} "
        "incidents in the bench database (12 providers of very different sizes, 4 agencies; generated "
        "narratives, places, people and plates; about 4.5 timeline entries per incident; escalations with "
        "their board events)"
        + (f" in {seeded:.0f} s" if seeded else " (already seeded before this run)")
        + f". Requests are made as the largest provider's supervisor ({scale.get('visible_to_supervisor', 0):,} "
        f"incidents visible) and as an agency's liaison ({scale.get('open_on_board')} open escalations on its "
        "board), through Django's test client in the runner's process: the whole middleware, view, queries "
        "and JSON or HTML, without a network. Queries are counted with 10 and 100 rows per page (the "
        "board: two agencies).",
        "",
        f"Each request is measured first at {smaller.get('incidents', 0):,} incidents (the tenth), then "
        f"at {scale.get('incidents', 0):,} (`seed_scale --top-up` adds the rest): 'p95 at the tenth' and "
        "the ratio say whether a request's cost grows with the table. The list's deep pages are the 20th "
        "page reached by following `next`, and a cursor two years back.",
        "",
        _table(["family", "request", "path", "p50", "p95", "p95 at the tenth", "ratio", "queries"], rows),
        "",
        *analytics_parts(scale),
    ]


def analytics_parts(scale: dict[str, Any]) -> list[str]:
    """The analytics dashboard's parts, each selector timed alone for each audience, at both sizes."""
    parts = _get(scale, "families", "analytics", "parts") or {}
    if not parts:
        return []
    rows = []
    for who, figures in parts.items():
        for part, ms in figures.items():
            before = _get(scale, "smaller", "families", "analytics", "parts", who, part, "p95")
            rows.append([who, part, _ms(ms.get("p50")), _ms(ms.get("p95")), _ms(before)])
    return [
        "The analytics dashboard's parts (each selector called alone, as the page calls it; the page is "
        "their sum and its rendering). Queries of the analytics requests: the user's and the same role's "
        "in another tenant (the platform admin twice).",
        "",
        _table(["who", "part", "p50", "p95", "p95 at the tenth"], rows),
        "",
    ]


def idle_section(results: dict[str, Any]) -> list[str]:
    idle = results.get("idle") or {}
    if "error" in idle:
        return ["## 4. Idle sockets", "", f"Failed: {idle['error']}", ""]
    rows = []
    for server in results.get("servers", []):
        f = idle.get(server) or {}
        rows.append([
            server, str(f.get("opened")), f"{f.get('open_seconds')} s", f"{f.get('rss_before_mb')} MB",
            f"{f.get('rss_open_mb')} MB", f"{f.get('kb_per_socket')} KB", f"{f.get('kb_per_socket_after_hold')} KB",
            str(f.get("answered_after_hold")), str(f.get("failures")),
        ])  # fmt: skip
    hold = _get(idle, (results.get("servers") or ["daphne"])[0], "hold_seconds")
    return [
        "## 4. Idle sockets",
        "",
        "Signed-in board sockets opened on one server process (50 handshakes at a time), held idle for "
        f"{hold} s (longer than redis-py's 5 s read timeout, STACK_NOTES.md), then each must answer a ping "
        "through its consumer. Memory per socket: growth of the process's VmRSS (/proc/<pid>/status) from "
        "before opening (after 20 warm-up sockets) to 3 s after the last opened, divided by the sockets.",
        "",
        _table(
            [
                "server",
                "opened",
                "opening took",
                "RSS before",
                "RSS open",
                "per socket",
                "per socket after hold",
                "answered ping",
                "failures",
            ],
            rows,
        ),
        "",
    ]


def pdf_section(results: dict[str, Any]) -> list[str]:
    pdf = results.get("pdf") or {}
    if "error" in pdf:
        return ["## 5. Debrief PDF", "", f"Failed: {pdf['error']}", ""]
    render = pdf.get("render_ms", {})
    return [
        "## 5. Debrief PDF",
        "",
        f"An incident with {pdf.get('timeline_entries')} timeline entries made through the services "
        "(report, escalation and its steps, 40 messages, notes), closed: a real Celery worker (prefork, "
        "one child, as `make worker` starts it) drafts the debrief and renders its PDF "
        f"({pdf.get('pdf_bytes', 0):,} bytes) with WeasyPrint. From closing to the stored PDF, cold: "
        f"{pdf.get('first_seconds')} s. Then {render.get('n')} renders queued one after another, each timed from "
        f"queueing to the stored PDF: p50 {render.get('p50', 0) / 1000:.2f} s, max {render.get('max', 0) / 1000:.2f} s "
        "(the worker's own task times: "
        + ", ".join(f"{value:.2f}" for value in pdf.get("task_seconds_in_worker", []))
        + " s).",
        "",
    ]


CHOICE_NOTES = (
    "Both serve the same Channels application; the differences are in the protocol layer. uvicorn runs "
    "with the Makefile's `UVICORN_FLAGS`, as `make web` does: uvloop, httptools, the sans-I/O websockets "
    "protocol and `--ws-per-message-deflate false` (browsers would otherwise negotiate compression: more "
    "CPU and memory per socket; this bench's clients never ask for it). The machine is shared and noisy: differences of a few per cent between the "
    "two are within the run-to-run spread; memory per socket and the targets met are the steadier "
    "figures."
)

FINDINGS = """## Profiles, fixes and what is left

Profiled with pyinstrument (requests in process) and py-spy (server processes) during development;
how to repeat: `.venv/bin/py-spy record -o profile.svg --pid <server pid>` while `BENCH_ONLY=fanout`
runs, or wrap a request in `pyinstrument.Profiler`.

- **Incident creation** was about 36 queries and 60–70 ms of Python per report; it is now
  **12 queries** for the report itself, and a 13th since drills landed (is a drill running at the
  site? a report filed during one is marked as part of it): 13 counted through the API in this run,
  without BEGIN/COMMIT, one over the target. It writes only what
  a report must: its reference (one upsert, drawn before the report's transaction so that the one
  row every report writes is not locked until the report commits, and committed without waiting for
  the disk: the report's own commit, later in the same WAL, makes it durable), the incident with its
  search document computed before the insert, both timeline entries in one insert, their audit
  records and the sealer's pending rows in one insert each (the audit log's ids come from its
  sequence in one query; no lock), and the API's answer is made from what was written instead of
  a re-read. `tests/incidents/test_report_cost.py` asserts the count and, on PostgreSQL, that no
  report or page view waits for another transaction that has appended audit records and is still
  open (no global serial point). What is left per report: the token, category, site and access
  checks (five reads), the commit's fsync, and the follow-ups queued at commit before the
  response (three Celery messages and the group send). With 32 clients that each send again
  as soon as they are answered, Little's law sets the latency: p50 ≈ 32 / throughput.
- **Page views** of an incident append one audit record (`incident.viewed`): an insert into the
  audit table and one into the sealer's pending table, ids from a sequence, no lock and no row
  that every view updates; the sealer seals them in batches later (docs/audit.md).
- **Escalation API** (fan-out's first step) takes 100–250 ms on this machine: the escalation,
  timeline and audit rows, the board event, and the notification policy's outbox rows, all in one
  transaction. The board frames are pushed at commit, before the response is written, so many
  boards have the frame before the supervisor's browser has the answer. Measured on its own now
  (one after another, no boards open), beside the creation benchmark; not optimised yet.
- **Lists at scale** (issue 15): the access policy used to filter a provider's incidents through
  the site join (`site__provider_id`), so PostgreSQL read every incident the supervisor could see
  (a third of the million for the largest provider), sorted them for the page and counted them all
  for the paginator, on every page (3.2 s p95 at a million; deep pages worse). Now every incident
  and escalation carries its provider (`provider_id`, set when filed, held equal to the site's by a
  foreign key on (site, provider)), the policy filters on it, and the list walks the index
  (provider, received_at DESC, id DESC) from a keyset cursor: a page reads its 50 rows (+1), and the
  total is counted up to 1,000 ("1,000+"), a bounded index-only count. A deep page (the 20th by its
  cursor, or an old bookmark) starts its index scan at the cursor, so it costs what the first does:
  the table's size does not enter. Filters on status, severity or category walk the same index and
  discard the rows that do not match: cheap for common values; a rare value over a huge tenant reads
  more index entries before it has a page (the cost then grows with how rare, not with the table).
- **Full-text search** (issue 15): a stored `tsvector` (`search_vector`, kept by a trigger) in one
  GIN index with the provider's id (btree_gin), so "this tenant's incidents that match" is one index;
  references, plates and full names are looked up exactly first (the unique reference, an index on
  the plate's spacing-free upper case and one on the name's lower case). What a common word costs
  and why: a word such as "cctv" matches a large share of a tenant's rows, and ranking all of them
  would read every match (the old 6.8 s). The search takes the newest 300 matches (PostgreSQL
  either walks the received_at index and tests each row's stored vector until it has 300 — for a
  word in 11 % of the rows that is about 2,700 rows read, 42 ms under a load average of 15 on a
  20,000-incident bench database, against 120 ms for 1,000 — or, for a rarer word, reads the GIN
  index's few matches (a rare name: 0.5 ms) and sorts them), ranks those (`ts_rank`) and pages them
  by position: at most 300 vectors ranked per request, whatever the table's size. The price: a
  weaker but older match beyond the newest 300 is not listed (the count says "300+"); a longer
  query narrows it. Left to measure at a million: a mid-frequency word, for which PostgreSQL
  intersects the GIN matches with the tenant's bitmap (its cost grows with the tenant's size).
- **Query counts** do not grow with the rows shown (10 or 100 per page) nor with the board's
  rows. A run that reports one list request with 3 more queries caught the idle-timeout
  middleware writing the session (at most every 30 s; requests taking seconds make it likely);
  the bench now counts the fewest of three requests.
- **Idle sockets**: daphne holds a board socket in about 45 KB; uvicorn with its legacy
  websockets protocol in about 51 KB (its per-connection asyncio tasks and stream objects).
  `make web` runs uvicorn's sans-I/O websockets protocol (`--ws websockets-sansio`), without
  per-message deflate: 43.0 KB per socket against 51.5 KB with the old flags (1,000 sockets each,
  small runs on the same machine and load, 2026-12-01).
- **The server**: the figures chose uvicorn (fan-out spread and tail well ahead, HTTP equal
  within noise); the portal now runs it (`make run`, `make web`, so the Dockerfile and
  docker-compose), with the Makefile's `UVICORN_FLAGS`, which the bench and the browser tests'
  server start too.
- **Seeding** a million incidents took 444 s here (in an earlier full run, stopped by a signal
  afterwards; the run above found the data in place): generating the rows in Python
  (about 3,700 incidents a second with their 4.7 timeline entries), then building the GIN index
  once, the deferred foreign-key checks at commit and VACUUM ANALYZE.
- **Debrief PDF**: about 60 % of the render was WeasyPrint laying out the 500-row timeline table
  (line breaking of each cell through Pango, and the table's column widths over every row). The
  PDF now lays the timeline out as one paragraph per entry with the same four facts in the same
  order (time · who · what · detail); the page keeps its table. The same 500-entry document,
  rendered alternately both ways in one process on a machine loaded by other work: 16–18 s as a
  table, 5.7–9.5 s as blocks (about half); what is left is line breaking of the paragraphs and
  drawing 28 pages.
- **Fan-out (fixed)**: py-spy on a daphne process during the fan-out showed about 15 % of its
  samples in Channels' `aclose_old_connections`: Channels (4.2+) closes stale database connections
  in a worker thread before every message it hands to a consumer, one thread hop per socket per
  event. Board events need no connection, so the consumers now skip it for them
  (`dispatch/consumers.py`). Server CPU per 1,000 deliveries (300 sockets, two daphne processes,
  100 events sent straight to the group, interleaved runs): 318 ms before, 243 ms after. What is
  left per delivery is Channels' and the server's own work (JSON, the receive loop, the socket
  write); the process that also serves the escalation request delivers to its sockets after the
  request's Python work, which is why the spread from the first receipt is wider than the bare
  broadcaster's.
"""


# Measured in and outside the bench (BENCH_ONLY=scale runs, scripts/measure_csv_memory.py), kept here so a
# regenerated page keeps it.
ANALYTICS = """## Analytics at 1,000,000 incidents: a rollup table, and what is still over 200 ms

**Target** (issue 19): the trend and response-time pages p95 ≤ 200 ms at 1,000,000 incidents. They are
one page, `/analytics/` (trends, weekday-by-hour, hotspots, map, response times; `?by=` regroups the
response times). The scale bench (section 3, family `analytics`) requests it as the largest
provider's supervisor, an agency's liaison and the platform admin, and times each part's selector
alone (the table under section 3).

**Plain GROUP BY first** (2026-12-02, a 1,000,000-incident copy of the bench data, load average
3.5–4.5 from other work; each part's selector, best of three): supervisor trends 3,956 ms, hotspots
1,658, map 824, response times 117; liaison 1,340 / 875 / 793 / 164; platform admin 14,688 / 7,371 /
1,487 / 625; the page 9.5 s (supervisor) and 3.7 s (liaison). EXPLAIN ANALYZE shows where: the trends
read every counted incident of 24 months (about 215,000 of the largest provider's, 650,000 for the
platform) and place each on its own site's calendar (its zone, its DST) in Python; an index can make
the read cheaper, not the per-row work. An agency's trends read 6,922 incidents through its 10,376
shares (397 ms in PostgreSQL alone, 12,575 heap blocks read cold, one index probe per share).

**Choice: a rollup table, not a materialized view.** A materialized view refreshes by recomputing
everything (even `CONCURRENTLY`), and its SQL would have to place each incident in its site's zone,
which the embedded SQLite default cannot. `analytics.CountedIncident` holds one row per counted
report (sent, not a drill): provider, its site's local day and hour of the week, site, category,
severity, place on the site, time and map cell, computed by the same Python the plain aggregate
uses. `analytics.IncidentCount` holds the counts per provider and day, and per month, by site,
category, severity, hour of the week and in all. A change recounts its (provider, day) buckets from
CountedIncident (one GROUP BY of a day's rows, then the month from its days; an advisory lock per
provider on PostgreSQL), so every path is idempotent: the follow-up task `analytics.count_incident`
of `incident.submitted` and `incident.updated` (after commit: it adds no query to the report's own),
a sweep every 10 minutes of the last two hours' reports (a follow-up lost with the broker), and
`manage.py rebuild_incident_counts` for existing rows (seed_scale runs it after its COPY: 161–241 s
for 1,000,000 under that load; about 275 MB for both tables). **Data migration:** 0002 creates the
tables empty and 0003 empties them again (it adds the place, time and cell); until the command has run
once (`CountsBuilt`), every figure is counted from the incidents, so a deploy is never wrong, only
slow until then. The trends read whole months from the months' rows and the current month from its
days' rows up to today (a site east of the viewer is already in tomorrow); hotspots group the
CountedIncident rows of 392 days by site, place and 28-day window in the database; the map groups 90
days' rows by cell. The figures are the same, not close: `tests/analytics/test_counts.py` compares
rollup and plain aggregate on hand-computed fixtures (both DST changes, a Tokyo site in tomorrow,
a draft, a drill, another provider's incidents, edits and moves through the services, a lost
recount put right by the sweep), `tests/seeding/test_seed_scale.py` after a COPY and a top-up, and
the two were equal on the 1,000,000 incidents (supervisor and platform admin).

**Measured** by `BENCH_ONLY=scale BENCH_SCALE=full make bench` at commit 1387b2d (the rollup for the
trends only; load average 1.8 before, 2–4.5 during, three other engineers' browser tests on the same
two cores), p95 at 100,000 → 1,000,000: trends alone, supervisor 27 → 27 ms (plain: 3,956), platform
admin 59 → 186 ms (plain: 14,688); liaison (plain) 143 → 1,695 ms. Response times (plain, exact
nearest-rank percentiles): supervisor 25 → 178 ms, liaison 25 → 311, platform admin 57 → 550. The
whole page at 1,000,000 was still 3.7 s (supervisor), 5.2 s (liaison), 9.0 s (platform admin): its
hotspots (2,615 / 1,997 / 5,189 ms) and map (919 / 1,287 / 1,722 ms) were then still counted from the
incidents. The commits after it move hotspots, the patrols' rising sites and the map onto the rollup
for providers and the platform (same figures, tested). Measured on the same 1,000,000 incidents at
commit 21ec800 (the family alone, same code path as the bench, load average 2.1 before, 1.5 after),
p95: supervisor hotspots 2,615 → 433 ms, map 919 → 64 ms, trends 42 ms, response times 348 ms; the
page 3.7 → 1.35 s; platform admin hotspots 5,189 → 1,205 ms, map 1,722 → 103 ms, the page 9.0 →
2.6 s; the liaison's page (all plain) 4.0–4.3 s. Query counts are constant (19, 12 and 16 per page
after; the same for another tenant of the same role). The full `make bench` of 2026-12-02 at
f5df5bb (section 3, the whole page under the bench's clients, load average 1.4 before) gives p95
876 ms (supervisor), 3,383 ms (liaison) and 2,049 ms (platform admin).

**What is left over 200 ms:** an agency's figures (trends, hotspots, map) are still counted from the
incidents shared with it: shares end with a rejected or cancelled escalation and expire by the clock
(`until`) with no event, so a per-agency rollup needs a periodic recount of expired shares; not done.
Response times stay on the plain aggregate: exact nearest-rank p50/p90 need every interval (a
histogram would round them), and the escalations are a small share (4 %) of the incidents; at
1,000,000 they cost 178–550 ms p95; a rollup of per-second counts per (site, agency, category, month,
interval) would keep them exact for whole seconds only. The platform admin's trends read 12
providers' rows (186 ms p95); a platform row per bucket would make it one provider's cost.

## Analytics: the incident CSV export's memory

Measured by `scripts/measure_csv_memory.py 100000` on 2026-12-01 (this machine, PostgreSQL 15,
while other engineers' tests ran): the export's own view (`/analytics/export/incidents.csv`) as a
platform admin over the scale seeder's 100,000 incidents, the streamed response consumed as a
client would. 96,948 rows were exported (drafts and drills are not), 25.3 MB of CSV, in 164 s
under tracemalloc (which slows Python several times). The heap's peak within each stretch of rows:
12.99 MiB over rows 1,001–10,000, 13.02 MiB over 10,001–50,000, 13.04 MiB over 50,001 to the end;
6.7 MiB after the first 1,000 rows (one chunk of 2,000 rows in flight), 0.7 MiB once done. The
process's peak RSS was 137 MiB, most of it Django with the app loaded. Memory does not grow with
the file: the rows are read 2,000 at a time (a server-side cursor on PostgreSQL) and written one
line at a time.
"""


def write(results: dict[str, Any]) -> None:
    (DOCS / "bench-results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    (DOCS / "PERFORMANCE.md").write_text(markdown(results))


if __name__ == "__main__":
    # Rewrite docs/PERFORMANCE.md from docs/bench-results.json (after editing this module's text).
    write(json.loads((DOCS / "bench-results.json").read_text()))
