"""The fault run's checker: the database's committed history against what the sinks and boards got.

Like Jepsen's checkers, it holds every acknowledged write to the database (an escalation the API
answered 201 for must be there), then derives from the committed escalations what should have
reached whom, independently of the outbox (the ladder's steps for the agency's people and
endpoint), and compares that with the outbox rows, the SMTP server's mail (by Message-ID), the
webhook receiver's requests (by Idempotency-Key) and the in-app notifications. A key received twice
is a declared duplicate (the receiver drops it by its key); anything else that arrives twice, or
arrives without a committed row, is a failure."""

import itertools
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta
from hashlib import sha256
from typing import Any

from django.db.models import Max

from dispatch.models import BoardEvent, Escalation
from incidents.models import Incident
from notifications.models import Channel, EscalationTimer, Kind, Notification, OutboxMessage
from notifications.selectors import list_unannounced_reports
from notifications.senders.email import message_id
from tests.chaos.boards import BoardClients, digest_line

State = OutboxMessage.State
AFTER_ACCEPTANCE_MARGIN = 2.0  # seconds: a send decided before the acceptance may land just after it
LADDER_SLACK = 8.0  # seconds past its due time within which a step may still be fired under faults


def heads() -> dict[int, int]:
    return {
        row["agency_id"]: row["head"]
        for row in BoardEvent.objects.values("agency_id").annotate(head=Max("sequence"))
    }


def settle(boards: BoardClients, timeout: float, say: Callable[[str], None], cast: Any) -> float:
    """Wait until the outbox has nothing left to send, no timer is overdue, every report's people
    were told (a report whose announcement was lost with Redis is announced by the report sweep,
    half a minute on: it is work still to do, as a pending outbox row is), and every board has
    caught up with its agency's newest event. Returns the seconds it took. What is still undone at
    the timeout stays undone: the checker counts it as lost, however close it was."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        from django.utils import timezone

        waiting = OutboxMessage.objects.filter(state__in=(State.PENDING, State.SENDING)).count()
        overdue = EscalationTimer.objects.filter(
            state=EscalationTimer.State.PENDING, due_at__lte=timezone.now()
        ).count()
        due_later = EscalationTimer.objects.filter(state=EscalationTimer.State.PENDING).count()
        untold = list_unannounced_reports(
            since=timezone.now() - timedelta(days=1), before=timezone.now()
        ).count()
        newest = heads()
        behind = sum(
            1
            for agency, last, _, refused in boards.ask("heads")["heads"]
            if not refused and last < newest.get(_agency_id(cast, agency), 0)  # boards say "X" or "Y"
        )
        if not waiting and not due_later and not behind and not untold:
            return round(time.monotonic() - started, 1)
        if time.monotonic() > deadline:
            say(
                f"not settled after {timeout}s: {waiting} to send, {overdue} timers overdue, "
                f"{untold} reports untold, {behind} boards behind"
            )
            return round(time.monotonic() - started, 1)
        say(
            f"settling: {waiting} to send, {due_later} timers ({overdue} overdue), {untold} reports untold, "
            f"{behind} boards behind"
        )
        time.sleep(3)


def _agency_id(cast: Any, label: str) -> int:
    return int((cast.world.agency_x if label == "X" else cast.world.agency_y).pk)


def expected_pages(
    escalation: Escalation, cast: Any, people: dict[int, list[int]], admins: dict[int, list[int]]
) -> tuple[set[str], set[str], set[str]]:
    """The page keys of one escalation: (at once, the ladder's last step, whether that step is due).

    Returned as (immediate keys, ladder keys, ladder state) where the state is {"due"}, {"not due"}
    or {"either"} (accepted within the slack around the step's due time)."""
    agency = escalation.agency_id
    chain = f"page:{escalation.public_id}:org{agency}"
    immediate = {
        f"{chain}:1:u{uid}:{channel}" for uid in people[agency] for channel in (Channel.IN_APP, Channel.EMAIL)
    }
    last_position = 2
    if agency == cast.world.agency_x.pk:
        immediate.add(f"{chain}:2:e{cast.endpoint_id}")
        last_position = 3
    ladder = {f"{chain}:{last_position}:u{uid}:{Channel.EMAIL}" for uid in admins[agency]}
    due_at = escalation.requested_at + timedelta(seconds=cast.ladder_delay)
    if escalation.accepted_at is None:
        state = {"due"}
    elif escalation.accepted_at < due_at:
        state = {"not due"}
    elif escalation.accepted_at > due_at + timedelta(seconds=LADDER_SLACK):
        state = {"due"}
    else:
        state = {"either"}
    return immediate, ladder, state


def _board_record(board: dict[str, Any], head: int) -> dict[str, Any]:
    """One board that did not end with every event: what it missed, and what its sockets did."""
    applied = board["applied"]
    got = set(applied)
    missing = [seq for seq in range(1, head + 1) if seq not in got]
    return {
        "agency": board["agency"],
        "head": head,
        "last": applied[-1] if applied else 0,
        "missing": len(missing),
        "first_missing": missing[:3],
        "out_of_order": sum(1 for a, b in itertools.pairwise(applied) if b <= a),
        "connects": board["connects"],
        "open": board["open"],
        "waiting": board["waiting"],
        "errors": board["errors"],
        "history": board.get("history", []),
    }


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}

    def at(share: float) -> float:
        return round(ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1], 2)

    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 2)}


def check(
    *, ledger: Any, boards: list[dict[str, Any]], smtp: Any, sink: Any, cast: Any, config: Any
) -> dict[str, Any]:
    from notifications import selectors

    problems: list[str] = []
    figures: dict[str, Any] = {}

    # 1. Every acknowledged write is committed.
    escalations = {str(e.public_id): e for e in Escalation.objects.select_related("incident")}
    missing = [eid for eid in ledger.acknowledged if eid not in escalations]
    if missing:
        problems.append(f"{len(missing)} escalations answered 201 are not in the database: {missing[:5]}")
    figures["operations"] = dict(sorted(ledger.counts.items()))
    figures["gave_up"] = dict(ledger.gave_up)
    figures["escalations_committed"] = len(escalations)
    figures["escalations_acknowledged"] = len(ledger.acknowledged)
    figures["accepted"] = sum(1 for e in escalations.values() if e.accepted_at is not None)
    figures["panics"] = len(ledger.panics)
    figures["messages"] = ledger.messages

    # 2. What the sinks received, by key.
    email_keys: Counter[str] = Counter()
    email_first: dict[str, float] = {}
    for message, at in zip(smtp.messages, smtp.times, strict=False):
        mid = str(message["Message-ID"])
        email_keys[mid] += 1
        email_first.setdefault(mid, at)
    hook_keys: Counter[str] = Counter()
    hook_first: dict[str, float] = {}
    for received in sink.received:
        hook_keys[received.key] += 1
        hook_first.setdefault(received.key, received.at)
        if not received.signature_ok:
            problems.append(f"webhook {received.key} arrived with a bad signature")
    processed = Counter(sink.processed)
    if any(count > 1 for count in processed.values()):
        problems.append("the webhook receiver processed a key twice")

    rows = list(OutboxMessage.objects.select_related("escalation"))
    by_key = {row.idempotency_key: row for row in rows}
    mids = {message_id(row.idempotency_key): row for row in rows if row.channel == Channel.EMAIL}
    in_app = set(Notification.objects.values_list("message_id", flat=True))

    expected_total = 0
    seen_total = 0
    lost: list[str] = []
    declared = Counter[str]()
    stopped = 0
    delays: list[float] = []
    by_channel: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        if row.channel == Channel.EMAIL:
            received = email_keys.get(message_id(row.idempotency_key), 0)
            first = email_first.get(message_id(row.idempotency_key))
        elif row.channel == Channel.WEBHOOK:
            received = hook_keys.get(row.idempotency_key, 0)
            first = hook_first.get(row.idempotency_key)
        else:
            received = 1 if row.pk in in_app else 0
            first = None
        counts = by_channel[row.channel]
        if row.state == State.CANCELLED and row.kind == Kind.PAGE:
            escalation = row.escalation
            if escalation is None or escalation.status == Escalation.Status.REQUESTED:
                lost.append(f"{row.idempotency_key} cancelled while its escalation waits")
            stopped += 1
            counts["stopped by acceptance"] += 1
            if received:
                counts["received though stopped"] += 1
            continue
        if row.state == State.SKIPPED:
            # Nothing to send it through (SMS not configured here; nobody to page): logged, not lost.
            counts["skipped (no such channel here)"] += 1
            continue
        expected_total += 1
        counts["expected"] += 1
        if received:
            seen_total += 1
            counts["seen"] += 1
            if received > 1:
                declared[row.channel] += received - 1
                counts["duplicates (same key)"] += received - 1
            if first is not None:
                delays.append(first - row.created_at.timestamp())
        if row.state != State.DELIVERED or not received:
            lost.append(f"{row.idempotency_key} {row.state} received {received}")
            counts["lost"] += 1

    phantoms = [mid for mid in email_keys if mid not in mids] + [
        key for key in hook_keys if key not in by_key
    ]
    if phantoms:
        problems.append(f"{len(phantoms)} deliveries without a committed outbox row: {phantoms[:5]}")

    # 3. Independent expectation: the ladder's pages for each committed escalation.
    people = {
        agency: list(selectors.list_on_duty_liaisons(agency_id=agency).values_list("pk", flat=True))
        for agency in (cast.world.agency_x.pk, cast.world.agency_y.pk)
    }
    admins = {
        agency: list(selectors.list_org_admins(organization_id=agency).values_list("pk", flat=True))
        for agency in people
    }
    ladder_counts: Counter[str] = Counter()
    after_acceptance: list[str] = []
    page_keys = {row.idempotency_key for row in rows if row.kind == Kind.PAGE}
    explained: set[str] = set()
    for escalation in escalations.values():
        immediate, ladder, state = expected_pages(escalation, cast, people, admins)
        explained |= immediate | ladder
        for key in immediate - page_keys:
            lost.append(f"{key}: no outbox row")
        present = ladder & page_keys
        if state == {"due"}:
            ladder_counts["due"] += 1
            for key in ladder - present:
                lost.append(f"{key}: the ladder's last step never fired")
        elif state == {"not due"}:
            ladder_counts["stopped before due"] += 1
            if present:
                after_acceptance.append(f"{escalation.public_id}: ladder fired after acceptance")
        else:
            ladder_counts["accepted around its due time"] += 1
        if escalation.accepted_at is not None:
            # accepted_at is stamped inside the acceptance's transaction, before its commit; what a
            # sender can see is the commit, which the client's 200 follows.
            accepted = ledger.accepted.get(str(escalation.public_id), escalation.accepted_at.timestamp())
            for key in immediate | ladder:
                page = by_key.get(key)
                if page is None:
                    continue
                if page.created_at > escalation.accepted_at:
                    after_acceptance.append(f"{key}: page written after acceptance")
                first = (
                    email_first.get(message_id(key))
                    if page.channel == Channel.EMAIL
                    else hook_first.get(key)
                    if page.channel == Channel.WEBHOOK
                    else None
                )
                if first is not None and first > accepted + AFTER_ACCEPTANCE_MARGIN:
                    after_acceptance.append(f"{key}: arrived {first - accepted:.1f}s after acceptance")
    unexplained = page_keys - explained - {key for key in page_keys if key.endswith(":nobody")}
    if unexplained:
        problems.append(f"{len(unexplained)} pages no ladder step explains: {sorted(unexplained)[:5]}")
    if after_acceptance:
        problems.append(f"{len(after_acceptance)} notifications after acceptance: {after_acceptance[:5]}")

    # Every submitted report was announced to its supervisors (a follow-up queued after the commit).
    reports = Incident.objects.exclude(status=Incident.Status.DRAFT)
    announced = set(
        OutboxMessage.objects.filter(kind__in=(Kind.REPORT, Kind.PANIC)).values_list("incident_id", flat=True)
    )
    unannounced = [i.reference for i in reports.only("pk", "reference") if i.pk not in announced]
    for reference in unannounced:
        lost.append(f"report {reference}: its supervisors were never told")

    # 4. Two acceptances at once: exactly one won.
    both_won = [eid for eid, codes in ledger.double_accepts if codes.count(200) > 1]
    if both_won:
        problems.append(f"{len(both_won)} escalations accepted twice at once: {both_won[:5]}")
    accepted_events = Counter(
        BoardEvent.objects.filter(name="escalation.accepted").values_list("escalation_id", flat=True)
    )
    if any(count > 1 for count in accepted_events.values()):
        problems.append("an escalation has two acceptance events")

    # 5. Boards: every event of the agency, in order, as committed, after the replays.
    newest = heads()
    expected_digest: dict[int, str] = {}
    for agency in newest:
        digest = sha256()
        for seq, name, payload in (
            BoardEvent.objects.filter(agency_id=agency)
            .order_by("sequence")
            .values_list("sequence", "name", "payload")
        ):
            digest.update(digest_line(seq, name, (payload.get("escalation") or {}).get("id", "")))
        expected_digest[agency] = digest.hexdigest()
    board_problems: Counter[str] = Counter()
    catch_ups: list[float] = []
    replays: list[float] = []
    reconnects = 0
    behind_boards: list[dict[str, Any]] = []
    for board in boards:
        agency = _agency_id(cast, board["agency"])
        head = newest.get(agency, 0)
        catch_ups += board["catch_ups"]
        replays += board.get("replays", [])
        reconnects += max(0, board["connects"] - 1)
        if board["refused"]:
            board_problems[f"refused ({board['refused']})"] += 1
        if board["applied"] != list(range(1, head + 1)):
            board_problems["missing or out of order"] += 1
            if len(behind_boards) < 20:
                behind_boards.append(_board_record(board, head))
        elif board["digest"] != expected_digest.get(agency):
            board_problems["events differ from the database"] += 1
        if board["repeated"]:
            board_problems["sent a number twice"] += 1
    for kind, count in board_problems.items():
        problems.append(f"{count} boards: {kind}")

    figures["deliveries"] = {
        "expected": expected_total,
        "seen": seen_total,
        "lost": len(lost),
        "declared_duplicates": dict(declared),
        "undeclared_duplicates": len(phantoms),
        "stopped_by_acceptance": stopped,
        "by_channel": {channel: dict(counts) for channel, counts in by_channel.items()},
        "delay_seconds": percentiles(delays),
    }
    figures["ladder"] = dict(ladder_counts)
    figures["reports_unannounced"] = len(unannounced)
    figures["double_accepts"] = {"pairs": len(ledger.double_accepts), "both_won": len(both_won)}
    figures["board_events"] = {str(agency): head for agency, head in newest.items()}
    figures["boards_checked"] = len(boards)
    figures["board_reconnects"] = reconnects
    connect_errors: Counter[str] = Counter()
    for board in boards:
        connect_errors.update(board.get("errors", {}))
    figures["board_connect_errors"] = dict(connect_errors.most_common())
    figures["board_silent_sockets"] = sum(board.get("silent", 0) for board in boards)
    figures["boards_missing"] = behind_boards  # what the first boards that missed events missed
    figures["catch_up_seconds"] = percentiles(catch_ups)
    figures["replay_seconds"] = percentiles(replays)
    if lost:
        problems.append(f"{len(lost)} notifications lost: {lost[:8]}")
    figures["problems"] = problems
    figures["verdict"] = "pass" if not problems else "fail"
    return figures
