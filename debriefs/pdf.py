"""The debrief's PDF: the portal's WeasyPrint renderer (portal/pdf.py), shared with the daily
activity reports. Imported only where a PDF is rendered."""

from portal.pdf import BUNDLED_ORIGIN, BundledStaticFetcher, html_to_pdf

__all__ = ["BUNDLED_ORIGIN", "BundledStaticFetcher", "html_to_pdf"]
