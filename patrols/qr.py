"""The checkpoints' QR sheet (PDF, one code per checkpoint with its name and short code) and the
compliance chart's bars: both drawn on the server."""

from dataclasses import dataclass

import segno
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from accounts.models import Site
from patrols.models import Checkpoint
from patrols.selectors import ComplianceDay


def qr_svg(checkpoint: Checkpoint) -> str:
    """The checkpoint's QR code as inline SVG (segno's own markup: no user text in it)."""
    code = segno.make(checkpoint.qr_text, error="m")
    return mark_safe(code.svg_inline(scale=4, border=2, title=None))  # noqa: S308 (segno's output)


def sheet_pdf(*, site: Site, checkpoints: list[Checkpoint]) -> bytes:
    """The site's QR sheet as a PDF (WeasyPrint)."""
    # Loaded here: WeasyPrint needs Pango and HarfBuzz, which the web process may lack until asked.
    from portal import pdf as documents

    html = render_to_string(
        "patrols/qr_sheet.html",
        {"site": site, "codes": [(checkpoint, qr_svg(checkpoint)) for checkpoint in checkpoints]},
    )
    return documents.html_to_pdf(html)


@dataclass(frozen=True)
class Bar:
    label: str
    percent: int | None
    x: int
    height: int
    y: int


CHART_HEIGHT = 120


def compliance_chart(days: list[ComplianceDay]) -> list[Bar]:
    """One bar per day: its height the percentage of checkpoints scanned on time (none: no bar)."""
    bars = []
    for index, day in enumerate(days):
        height = round(CHART_HEIGHT * (day.percent or 0) / 100)
        bars.append(
            Bar(
                label=f"{day.day:%a}",
                percent=day.percent,
                x=40 + index * 50,
                height=height,
                y=10 + CHART_HEIGHT - height,
            )
        )
    return bars
