"""Evidence content checks and metadata-free photo copies (DESIGN 5, 7).

A file must be what its first bytes claim: images are decoded in full with Pillow (HEIC through
pillow-heif), PDFs and M4A recordings get a structural check. From a photo we read what the quality
flags need (capture time, GPS position) and make the copy that everyone but the agency receives: the
pixels re-encoded into a new file, so that no EXIF, GPS, XMP, ICC profile, comment or trailing bytes of
the original survive.
"""
from __future__ import annotations

import io
import logging
import re
import struct
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pillow_heif
from PIL import ExifTags, Image, ImageCms, ImageOps

from ..errors import UnsupportedMediaType
from ..messages import Message

log = logging.getLogger(__name__)

pillow_heif.register_heif_opener()

# The Pillow decoder that must accept each sniffed image type (no guessing among other formats).
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIF"}
# PNG keeps lossless screenshots lossless; JPEG and HEIC photos become JPEG, which every browser shows.
STRIPPED_TYPE = {"image/jpeg": "image/jpeg", "image/png": "image/png", "image/heic": "image/jpeg"}
JPEG_QUALITY = 90
PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
PDF_TAIL = 1024  # "%%EOF" must be this close to the end (incremental saves append after it)
TYPE_NAMES = {"image/jpeg": "JPEG image", "image/png": "PNG image", "image/heic": "HEIC image",
              "application/pdf": "PDF document", "audio/mp4": "M4A recording"}

_EXIF_DATETIME_ORIGINAL, _EXIF_DATETIME_DIGITIZED = 0x9003, 0x9004
_EXIF_OFFSET_ORIGINAL, _EXIF_OFFSET_DIGITIZED = 0x9011, 0x9012


@dataclass(frozen=True)
class StrippedCopy:
    data: bytes
    content_type: str


@dataclass(frozen=True)
class Inspection:
    """What was learnt from a file that passed its check."""
    stripped: StrippedCopy | None = None  # images only
    captured_at: datetime | None = None  # UTC
    position: tuple[float, float] | None = None  # (latitude, longitude) from EXIF GPS


def inspect(path: Path, content_type: str, local_zone: str) -> Inspection:
    """Check the file against its sniffed type; 415 when it is not what it claims to be.

    `local_zone` is the time zone a capture time without its own offset is read in (the dealer's:
    the photo was taken there)."""
    if content_type in IMAGE_FORMATS:
        return _inspect_image(path, content_type, local_zone)
    if content_type == "application/pdf":
        _check_pdf(path)
    elif content_type == "audio/mp4":
        _check_m4a(path)
    return Inspection()


def strip_file(path: Path, content_type: str) -> StrippedCopy:
    """The metadata-free copy of a stored photo (for files stored before copies were made at upload)."""
    with _opened(path, content_type) as image:
        return _stripped(image, content_type)


def _refuse(content_type: str, why: str) -> UnsupportedMediaType:
    """`why` is a message key."""
    name = TYPE_NAMES[content_type]
    return UnsupportedMediaType("photo.invalid_file", {"file": [Message("photo.not_valid_type", type=name)]},
                                type=name, why=Message(why))


class _opened:
    """The decoded image, with any decoding problem turned into a 415."""

    def __init__(self, path: Path, content_type: str):
        self.path, self.content_type = path, content_type

    def __enter__(self) -> Image.Image:
        formats = [IMAGE_FORMATS[self.content_type]]
        try:
            with warnings.catch_warnings():
                # Pillow only warns below twice its pixel limit: a decompression bomb is refused either way.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(self.path, formats=formats) as image:
                    image.verify()  # structure and checksums; the image cannot be used afterwards
                self.image = Image.open(self.path, formats=formats)
                self.image.load()  # every pixel decodes: a truncated or forged body fails here
        except Exception as error:  # noqa: BLE001
            # Any failure of a decoder on untrusted bytes means "not a valid image", whatever its class.
            log.info("refused an upload that does not decode as %s: %r", self.content_type, error)
            raise _refuse(self.content_type, "photo.does_not_decode") from None
        return self.image

    def __exit__(self, *exc: object) -> None:
        self.image.close()


def _inspect_image(path: Path, content_type: str, local_zone: str) -> Inspection:
    with _opened(path, content_type) as image:
        exif = image.getexif()
        return Inspection(stripped=_stripped(image, content_type), captured_at=capture_time(exif, local_zone),
                          position=gps_position(exif))


def _stripped(image: Image.Image, content_type: str) -> StrippedCopy:
    # The orientation is metadata too: apply it to the pixels so the copy shows the right way up.
    upright = ImageOps.exif_transpose(image) or image
    upright = _to_srgb(upright, image.info.get("icc_profile"))
    target = STRIPPED_TYPE[content_type]
    has_alpha = upright.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in upright.info
    if target == "image/png":
        mode = "RGBA" if has_alpha else ("L" if upright.mode == "L" else "RGB")
        pixels = upright.convert(mode)
    elif has_alpha:  # JPEG has no transparency: flatten on white, as a viewer would show it
        rgba = upright.convert("RGBA")
        pixels = Image.new("RGB", rgba.size, (255, 255, 255))
        pixels.paste(rgba, mask=rgba.getchannel("A"))
    else:
        pixels = upright.convert("L" if upright.mode == "L" else "RGB")
    # A new image from the raw pixels carries nothing of the original's `info` (EXIF, XMP, ICC, text).
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if target == "image/png":
        clean.save(out, "PNG", optimize=False)
    else:
        clean.save(out, "JPEG", quality=JPEG_QUALITY)
    return StrippedCopy(out.getvalue(), target)


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Colours as the original profile meant them, in sRGB, since the copy carries no profile."""
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                         outputMode=image.mode) or image
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unreadable profile: keep the pixels as they are


def capture_time(exif: Image.Exif, local_zone: str) -> datetime | None:
    """When the photo was taken (EXIF DateTimeOriginal, else DateTimeDigitized), in UTC; None if absent or
    unreadable. Without an offset tag the time is local to `local_zone`."""
    try:
        details = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:  # noqa: BLE001  (a damaged IFD pointer in an otherwise decodable photo)
        return None
    for stamp_tag, offset_tag in ((_EXIF_DATETIME_ORIGINAL, _EXIF_OFFSET_ORIGINAL),
                                  (_EXIF_DATETIME_DIGITIZED, _EXIF_OFFSET_DIGITIZED)):
        stamp = _text(details.get(stamp_tag))
        if not stamp:
            continue
        try:
            local = datetime.strptime(stamp[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        zone = _offset(_text(details.get(offset_tag))) or ZoneInfo(local_zone)
        return local.replace(tzinfo=zone).astimezone(timezone.utc)
    return None


def gps_position(exif: Image.Exif) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees from the EXIF GPS block; None if absent or not a valid position."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
        lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    except Exception:  # noqa: BLE001  (no GPS block, or a damaged one: missing tags, wrong types, zero denominators)
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _degrees(parts: Any, ref: Any, negative: str) -> float:
    d, m, s = (float(p) for p in parts)
    value = d + m / 60 + s / 3600
    return -value if _text(ref).upper().startswith(negative) else value


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip("\x00 ") if value is not None else ""


def _offset(text: str) -> timezone | None:
    match = re.fullmatch(r"([+-])(\d\d):(\d\d)", text)
    if not match:
        return None
    sign = -1 if match[1] == "-" else 1
    minutes = int(match[2]) * 60 + int(match[3])
    return timezone(sign * timedelta(minutes=minutes)) if minutes < 24 * 60 else None


def _check_pdf(path: Path) -> None:
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(16)
        f.seek(max(0, size - PDF_TAIL))
        tail = f.read()
    if not PDF_HEADER.match(head):
        raise _refuse("application/pdf", "photo.no_pdf_header")
    if b"%%EOF" not in tail:
        raise _refuse("application/pdf", "photo.no_pdf_eof")


def _check_m4a(path: Path) -> None:
    """The top-level boxes of the ISO media file must tile it exactly, and the movie box must be there."""
    size = path.stat().st_size
    kinds: list[bytes] = []
    with path.open("rb") as f:
        position = 0
        while position < size:
            f.seek(position)
            header = f.read(8)
            if len(header) < 8:
                raise _refuse("audio/mp4", "photo.box_header_cut")
            length, kind = struct.unpack(">I4s", header)
            if length == 1:  # a 64-bit size follows the type
                large = f.read(8)
                if len(large) < 8:
                    raise _refuse("audio/mp4", "photo.box_header_cut")
                length = struct.unpack(">Q", large)[0]
            elif length == 0:  # the box runs to the end of the file
                length = size - position
            if length < 8 or position + length > size:
                raise _refuse("audio/mp4", "photo.box_past_end")
            kinds.append(kind)
            position += length
    if not kinds or kinds[0] != b"ftyp" or b"moov" not in kinds:
        raise _refuse("audio/mp4", "photo.no_movie_box")
