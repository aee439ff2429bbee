"""Measure the incident CSV export's memory while it streams N rows (docs/PERFORMANCE.md).

Runs the export's own view (analytics.views.export_incidents_csv) as a platform admin over the
scale seeder's incidents on PostgreSQL, consuming the streamed response as a client would, and
reports Python's heap (tracemalloc) after the first 1,000 rows and at the end, and the process's
peak RSS. Constant memory: the heap at the end is about the heap after 1,000 rows.

    DATABASE_URL=postgres://... .venv/bin/python scripts/measure_csv_memory.py 100000
"""

import json
import os
import resource
import sys
import time
import tracemalloc

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.test import RequestFactory  # noqa: E402

from accounts.models import User  # noqa: E402
from analytics.views import export_incidents_csv  # noqa: E402
from seeding.scale.seeder import seed  # noqa: E402
from seeding.scale.tenants import scale_incidents  # noqa: E402


def main(rows: int) -> dict[str, float | int | list[float]]:
    have = scale_incidents().count()
    if have < rows:
        seed(total=rows - have, batch=1 if have else 0)
    admin, _ = User.objects.get_or_create(
        email="csv-measure@watchpost.local", defaults={"full_name": "CSV measure", "is_staff": True}
    )
    request = RequestFactory().get("/analytics/export/incidents.csv")
    request.user = admin
    tracemalloc.start()
    started = time.monotonic()
    response = export_incidents_csv(request)
    lines = sent = 0
    after_first: tuple[int, int] = (0, 0)
    # The heap's peak within each stretch of rows: constant memory means the later stretches, ten
    # and eighty times longer, peak no higher than the first.
    marks, peaks = (1_001, 10_001, 50_001), []
    for chunk in response.streaming_content:  # type: ignore[attr-defined]
        sent += len(chunk)
        lines += 1
        if lines in marks:
            if lines == marks[0]:
                after_first = tracemalloc.get_traced_memory()
            else:
                peaks.append(round(tracemalloc.get_traced_memory()[1] / 2**20, 2))
            tracemalloc.reset_peak()
    current, peak = tracemalloc.get_traced_memory()
    peaks.append(round(peak / 2**20, 2))
    tracemalloc.stop()
    return {
        "rows": lines - 1,
        "bytes": sent,
        "seconds": round(time.monotonic() - started, 1),
        "heap_after_1000_rows_mib": round(after_first[0] / 2**20, 2),
        "heap_peak_first_1000_mib": round(after_first[1] / 2**20, 2),
        "heap_peak_rows_1k_10k_10k_50k_50k_end_mib": peaks,
        "heap_end_mib": round(current / 2**20, 2),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000), indent=2))
