"""Small real files of each kind evidence accepts (and a few it must refuse), built in memory."""

import hashlib
import io
import wave

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from portal.requests import RequestOrigin

ORIGIN = RequestOrigin(ip_address="203.0.113.7", user_agent="TestPhone/1.0 (Android 14)")
CAMERA = "Watchpost Test Camera"


def jpeg(size: tuple[int, int] = (640, 480), *, orientation: int = 1, gps: bool = True) -> bytes:
    """A JPEG with EXIF: camera make, orientation and (by default) a GPS position."""
    image = Image.new("RGB", size, "red")
    for x in range(size[0] // 2):
        image.putpixel((x, 0), (0, 0, 255))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.Base.Orientation] = orientation
    if gps:
        position = exif.get_ifd(ExifTags.IFD.GPSInfo)
        position[ExifTags.GPS.GPSLatitudeRef] = "N"
        position[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif, quality=90)
    return output.getvalue()


def png(size: tuple[int, int] = (32, 24)) -> bytes:
    output = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 128)).save(output, "PNG")
    return output.getvalue()


def webp() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(output, "WEBP")
    return output.getvalue()


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    """An ISO base media file: an ftyp box, then a little media data."""
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    box = (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body
    return box + (16).to_bytes(4, "big") + b"mdat" + bytes(range(8))


def mp4() -> bytes:
    return ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41")


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def wav() -> bytes:
    output = io.BytesIO()
    with wave.open(output, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x01" * 800)
    return output.getvalue()


def webm() -> bytes:
    # EBML header with DocType "webm", then the start of a Segment.
    header = b"\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header)]) + header + b"\x18\x53\x80\x67" + bytes(16)


def mkv() -> bytes:
    header = b"\x42\x86\x81\x01\x42\x82\x88matroska"
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header)]) + header + bytes(16)


def mp3_id3() -> bytes:
    return b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10) + b"\xff\xfb\x90\x64" + bytes(413)


def mp3_frame() -> bytes:
    return (b"\xff\xfb\x90\x64" + bytes(413)) * 3


def ogg() -> bytes:
    return b"OggS\x00\x02" + bytes(22) + b"\x01\x1eOpusHead" + bytes(16)


HTML_AS_IMAGE = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_AS_IMAGE = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script></svg>"
)
TEXT_AS_IMAGE = b"root:x:0:0:root:/root:/bin/bash\n"


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
