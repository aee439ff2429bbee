"""The PDF fetches only the project's bundled static files: nothing from the network, no file://."""

import io
import logging
import socket

import pytest
from pypdf import PdfReader

from debriefs.pdf import BUNDLED_ORIGIN, BundledStaticFetcher, html_to_pdf


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def bundled(settings, tmp_path):
    """A static directory with one stylesheet whose effect shows in the PDF's text."""
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "print-mark.css").write_text('body::before { content: "BUNDLED-MARK"; }')
    settings.STATICFILES_DIRS = [static]
    return static


def test_the_pdf_fetches_no_file_url_and_no_network_but_serves_a_bundled_stylesheet(
    bundled, tmp_path, caplog
):
    outside = tmp_path / "outside.css"
    outside.write_text('body::after { content: "LEAKED-MARK"; }')
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    html = f"""<html><head>
      <link rel="stylesheet" href="/static/css/print-mark.css">
      <link rel="stylesheet" href="{outside.as_uri()}">
      <link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">
    </head><body>
      <p>Debrief body</p>
      <img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">
      <img src="http://127.0.0.1:{port}/y.png">
    </body></html>"""
    with caplog.at_level(logging.WARNING, logger="weasyprint"), listener:
        text = text_of(html_to_pdf(html))
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    assert "Debrief body" in text
    assert "BUNDLED-MARK" in text
    assert "LEAKED-MARK" not in text
    refused = caplog.text
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        outside.as_uri(),
        f"http://127.0.0.1:{port}/x.css",
    ):
        assert f"Only bundled static files are fetched, not {url}" in refused
    assert "print-mark.css" not in refused


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://bundled.invalid.example.com/static/css/print-mark.css",
        "http://bundled.invalid/static/css/print-mark.css",
        f"{BUNDLED_ORIGIN}/static/css/missing.css",
        f"{BUNDLED_ORIGIN}/static/css/%2e%2e/%2e%2e/etc/passwd",
        f"{BUNDLED_ORIGIN}/static//etc/passwd",
        f"{BUNDLED_ORIGIN}/media/css/print-mark.css",
        "data:text/css,body{}",
    ],
)
def test_the_fetcher_refuses_everything_but_a_bundled_file(bundled, url):
    with pytest.raises(ValueError, match="Only bundled static files are fetched"):
        BundledStaticFetcher().fetch(url)


def test_the_fetcher_serves_a_bundled_file_byte_for_byte_with_its_type(bundled):
    response = BundledStaticFetcher().fetch(f"{BUNDLED_ORIGIN}/static/css/print-mark.css")
    assert response.read() == (bundled / "css" / "print-mark.css").read_bytes()
    assert response.content_type == "text/css"
