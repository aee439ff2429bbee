"""What an evidence file is, told from its first bytes (never its name or declared type), and the
thumbnail of a photo, re-encoded so that none of the original's metadata travels with it."""

import io
import math
import re
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from incidents.models import Evidence

Kind = Evidence.Kind

HEAD_BYTES = 4096
THUMBNAIL_BOX = (480, 480)
ALLOWED = (
    "a photo (JPEG, PNG, WebP, HEIC), a video (MP4, MOV, WebM), "
    "a sound recording (MP3, M4A, WAV, OGG) or a PDF"
)


@dataclass(frozen=True)
class FileType:
    kind: str
    content_type: str
    extensions: tuple[str, ...]  # the first is the one stored files get
    pillow_format: str = ""  # set for the photos Pillow reads (and thumbnails)

    @property
    def extension(self) -> str:
        return self.extensions[0]


JPEG = FileType(Kind.PHOTO, "image/jpeg", (".jpg", ".jpeg", ".jfif"), "JPEG")
PNG = FileType(Kind.PHOTO, "image/png", (".png",), "PNG")
WEBP = FileType(Kind.PHOTO, "image/webp", (".webp",), "WEBP")
HEIC = FileType(Kind.PHOTO, "image/heic", (".heic", ".heif"))
HEIF = FileType(Kind.PHOTO, "image/heif", (".heif", ".heic"))
MP4 = FileType(Kind.VIDEO, "video/mp4", (".mp4", ".m4v"))
QUICKTIME = FileType(Kind.VIDEO, "video/quicktime", (".mov", ".qt"))
THREE_GPP = FileType(Kind.VIDEO, "video/3gpp", (".3gp", ".3g2"))
WEBM = FileType(Kind.VIDEO, "video/webm", (".webm",))
MP3 = FileType(Kind.AUDIO, "audio/mpeg", (".mp3",))
M4A = FileType(Kind.AUDIO, "audio/mp4", (".m4a", ".m4b"))
WAV = FileType(Kind.AUDIO, "audio/wav", (".wav",))
OGG = FileType(Kind.AUDIO, "audio/ogg", (".ogg", ".oga", ".opus"))
PDF = FileType(Kind.DOCUMENT, "application/pdf", (".pdf",))

TYPES = (JPEG, PNG, WEBP, HEIC, HEIF, MP4, QUICKTIME, THREE_GPP, WEBM, MP3, M4A, WAV, OGG, PDF)
EXTENSIONS = {file_type.content_type: file_type.extensions for file_type in TYPES}

# ISO base media file format (ftyp box) brands. HEIF's generic brands also open AVIF files, which
# are not on the list: a mif1/msf1 file counts as HEIF only when it does not claim to be AVIF.
HEIC_BRANDS = frozenset({"heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"})
HEIF_BRANDS = frozenset({"mif1", "msf1"})
AVIF_BRANDS = frozenset({"avif", "avis"})
BRANDS = {
    **dict.fromkeys(("M4A ", "M4B "), M4A),
    "qt  ": QUICKTIME,
    **dict.fromkeys(("3gp4", "3gp5", "3gp6", "3gp7", "3ge6", "3gg6", "3g2a", "3g2b", "3g2c"), THREE_GPP),
    **dict.fromkeys(
        (
            "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41", "mp42", "mp71", "avc1",
            "M4V ", "M4VH", "M4VP", "dash", "MSNV", "XAVC", "NDAS", "f4v ",
        ),
        MP4,
    ),
}  # fmt: skip


class Unrecognised(ValueError):
    """The bytes are not one of the allowed kinds; the message says what they look like instead."""


def identify(head: bytes) -> FileType:
    """The allowed type whose signature ``head`` (the file's first bytes) carries, or Unrecognised."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        if _ebml_doctype(head) == b"webm":
            return WEBM
        raise Unrecognised(f"is a Matroska (MKV) video, which is not accepted: send {ALLOWED}")
    if head.startswith(b"OggS\x00"):
        return OGG
    if head.startswith(b"%PDF-"):
        return PDF
    if _is_id3(head) or _is_mpeg_audio_frame(head):
        return MP3
    raise Unrecognised(_describe(head))


def _iso_media(head: bytes) -> FileType:
    size = int.from_bytes(head[:4], "big")
    if size < 16:
        raise Unrecognised(f"is a damaged MP4-family file (bad ftyp box): send {ALLOWED}")
    end = min(size, len(head))
    major = head[8:12].decode("latin-1")
    compatible = [head[i : i + 4].decode("latin-1") for i in range(16, end - 3, 4)]
    brands = {major, *compatible}
    if major in HEIC_BRANDS or (major in HEIF_BRANDS and brands & HEIC_BRANDS):
        return HEIC
    if major in HEIF_BRANDS | AVIF_BRANDS:
        if brands & AVIF_BRANDS:
            raise Unrecognised(f"is an AVIF image, which is not accepted: send {ALLOWED}")
        return HEIF
    for brand in (major, *compatible):
        if brand in BRANDS:
            return BRANDS[brand]
    raise Unrecognised(f"is an MP4-family file of a kind not accepted ({major.strip()!r}): send {ALLOWED}")


def _ebml_doctype(head: bytes) -> bytes:
    at = head.find(b"\x42\x82", 4, 64)  # the EBML header's DocType element
    if at < 0 or at + 3 > len(head):
        return b""
    first = head[at + 2]
    length = next((n for n in range(1, 9) if first & (0x80 >> (n - 1))), 0)
    if not length:
        return b""
    size = first & ((0x80 >> (length - 1)) - 1)
    for byte in head[at + 3 : at + 2 + length]:
        size = size << 8 | byte
    start = at + 2 + length
    return head[start : start + size]


def _is_id3(head: bytes) -> bool:
    # "ID3", a version of 2 to 4, a revision, flags, then a size of four 7-bit bytes.
    return (
        head.startswith(b"ID3")
        and len(head) >= 10
        and head[3] in (2, 3, 4)
        and all(byte < 0x80 for byte in head[6:10])
    )


def _is_mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio layer III frame header (an MP3 without ID3 tag)."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, sample_rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer == 0b01 and bitrate not in (0, 15) and sample_rate != 0b11


def _describe(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<") and b"<svg" in text:
        return f"is an SVG drawing (which can carry scripts), not a real image: send {ALLOWED}"
    if text.startswith(b"<"):
        return f"is a web page or other markup (HTML/XML), not a real image: send {ALLOWED}"
    try:
        text_head = head.decode("utf-8")
    except UnicodeDecodeError:
        text_head = ""  # (or text cut in the middle of a character: called "not accepted" all the same)
    if text_head and all(char.isprintable() or char in "\t\r\n" for char in text_head):
        return f"is text, not a real photo, video, recording or PDF: send {ALLOWED}"
    return f"is not a file type that is accepted: send {ALLOWED}"


def check_image(stream: IO[bytes], file_type: FileType) -> None:
    """Refuse (Unrecognised) a photo whose header Pillow cannot read as the type its signature claims."""
    if not file_type.pillow_format:
        return
    stream.seek(0)
    try:
        with Image.open(stream, formats=[file_type.pillow_format]):
            pass
    except Image.DecompressionBombError:
        return  # a very large photo is still evidence; it just gets no thumbnail
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError):
        raise Unrecognised(
            f"starts like a {file_type.pillow_format} image but is damaged or is not one"
        ) from None
    finally:
        stream.seek(0)


class TooLarge(Exception):
    """A photo with more pixels than the thumbnail budget: it is never decoded."""

    def __init__(self, pixels: int) -> None:
        super().__init__(f"{pixels} pixels")
        self.pixels = pixels


def thumbnail(stream: IO[bytes], file_type: FileType, *, max_pixels: int) -> bytes | None:
    """A small JPEG re-encoded from the photo's pixels, turned upright, with no EXIF, GPS or ICC data;
    None if the photo cannot be read. Raises TooLarge, having read only the header, above
    ``max_pixels`` (the pixels decide the memory a decode takes, not the file's size)."""
    if not file_type.pillow_format:
        return None
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow's own decompression-bomb guard, as an error from its warning threshold on.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream, formats=[file_type.pillow_format]) as original:
                width, height = original.size
                if width * height > max_pixels:
                    raise TooLarge(width * height)
                original.draft("RGB", (THUMBNAIL_BOX[0] * 2, THUMBNAIL_BOX[1] * 2))
                image = ImageOps.exif_transpose(original)
                image.thumbnail(THUMBNAIL_BOX)
                if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                    rgba = image.convert("RGBA")
                    image = Image.new("RGB", rgba.size, "white")
                    image.paste(rgba, mask=rgba.getchannel("A"))
                output = io.BytesIO()
                image.convert("RGB").save(output, "JPEG", quality=80, optimize=True)
                return output.getvalue()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise TooLarge(_pixels_in(str(bomb))) from None
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError):
        return None


def _pixels_in(message: str) -> int:
    """The pixel count Pillow names in its decompression-bomb message ("Image size (N pixels) ...")."""
    found = re.search(r"\((\d+) pixels\)", message)
    return int(found.group(1)) if found else 0


# The colour that covers a redacted area: a solid fill, not a blur, so nothing of what was there
# (a face, a plate) survives in the copy to be sharpened back.
REDACTION_FILL = (17, 17, 17)


def redact_image(thumbnail_jpeg: bytes, rectangles: list[dict[str, float]]) -> bytes:
    """The thumbnail (upright, as ``thumbnail`` made it) with each rectangle (fractions 0-1 of the
    image) filled solid, re-encoded as a JPEG. Edges round outwards: an area is never smaller."""
    with Image.open(io.BytesIO(thumbnail_jpeg)) as opened:
        image = opened.convert("RGB")
    width, height = image.size
    draw = ImageDraw.Draw(image)
    for area in rectangles:
        left = max(0, math.floor(area["x"] * width))
        top = max(0, math.floor(area["y"] * height))
        right = min(width, math.ceil((area["x"] + area["w"]) * width))
        bottom = min(height, math.ceil((area["y"] + area["h"]) * height))
        if right > left and bottom > top:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=REDACTION_FILL)
    output = io.BytesIO()
    image.save(output, "JPEG", quality=80, optimize=True)
    return output.getvalue()
