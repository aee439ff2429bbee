"""`make chaos`: the fault run (CHAOS_N escalations, 1,000 by default). Prints the figures, writes
them to docs/RELIABILITY.md (CHAOS_DOC=0: not) and exits 1 on any loss, undeclared duplicate or
other finding of the checker. CHAOS_JSON=<path> also writes the figures as JSON."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.chaos.run import Config, run, say
from tests.processes import ROOT

DOC = ROOT / "docs" / "RELIABILITY.md"
MARK = "<!-- fault-run figures: written by `make chaos` -->"


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout
        return head + (" (with uncommitted changes)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def figures_markdown(figures: dict[str, Any], config: Config) -> str:
    d = figures["deliveries"]
    lines = [
        MARK,
        "",
        f"## Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}",
        "",
        f"Verdict: **{figures['verdict']}** ({len(figures['problems'])} findings). "
        f"{figures['escalations_asked']} escalations asked for, {figures['boards']} boards, "
        f"seed {figures['seed']}; "
        f"operations {figures['operations_seconds']} s, settling {figures['settle_seconds']} s, "
        f"whole run {figures['total_seconds']} s.",
        "",
        "| figure | value |",
        "| --- | --- |",
        "| escalations acknowledged (201) / committed | "
        f"{figures['escalations_acknowledged']} / {figures['escalations_committed']} |",
        f"| accepted / panics / messages | {figures['accepted']} / {figures['panics']} / "
        f"{figures['messages']} |",
        f"| faults injected | {', '.join(f'{k} {v}' for k, v in sorted(figures['faults'].items()))} |",
        f"| process restarts | {', '.join(f'{k} {v}' for k, v in sorted(figures['restarts'].items()))} |",
        f"| deliveries expected / seen | {d['expected']} / {d['seen']} |",
        f"| lost | {d['lost']} |",
        f"| duplicates at a sink, same idempotency key (declared) | {d['declared_duplicates'] or 0} |",
        f"| undeclared duplicates (no committed row) | {d['undeclared_duplicates']} |",
        f"| pages stopped by acceptance before sending | {d['stopped_by_acceptance']} |",
        f"| delivery delay, commit to sink (s) | {d['delay_seconds']} |",
        f"| ladder's last step | {figures['ladder']} |",
        f"| two acceptances at once | {figures['double_accepts']} |",
        f"| board events per agency | {figures['board_events']} |",
        f"| boards checked / reconnects | {figures['boards_checked']} / {figures['board_reconnects']} |",
        f"| reconnect catch-up, socket lost to replay done (s) | {figures['catch_up_seconds']} |",
        f"| replay, reconnected socket open to replay done (s) | {figures.get('replay_seconds', {})} |",
        "",
        "Deliveries by channel:",
        "",
        "| channel | " + " | ".join(sorted({k for c in d["by_channel"].values() for k in c})) + " |",
    ]
    keys = sorted({k for c in d["by_channel"].values() for k in c})
    lines.append("| --- |" + " --- |" * len(keys))
    for channel, counts in sorted(d["by_channel"].items()):
        lines.append(f"| {channel} | " + " | ".join(str(counts.get(k, 0)) for k in keys) + " |")
    lines += ["", "Operations (HTTP status as the client finally saw it):", ""]
    lines += [f"- {name}: {count}" for name, count in figures["operations"].items()]
    if figures["problems"]:
        lines += ["", "Findings:", ""] + [f"- {problem}" for problem in figures["problems"]]
    return "\n".join(lines) + "\n"


def write_doc(figures: dict[str, Any], config: Config) -> None:
    text = DOC.read_text() if DOC.exists() else ""
    head = text.split(MARK, 1)[0].rstrip() + "\n\n" if MARK in text else text
    DOC.write_text(head + figures_markdown(figures, config))


def main() -> int:
    config = Config.from_environment()
    figures = run(config)
    print(json.dumps({k: v for k, v in figures.items() if k != "fault_log"}, indent=2, default=str))
    if os.environ.get("CHAOS_JSON"):
        Path(os.environ["CHAOS_JSON"]).write_text(json.dumps(figures, indent=2, default=str))
    if os.environ.get("CHAOS_DOC", "1") != "0":
        write_doc(figures, config)
        say(f"figures written to {DOC.relative_to(ROOT)}")
    say(f"verdict: {figures['verdict']}")
    return 0 if figures["verdict"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
