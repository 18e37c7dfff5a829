"""What an uploaded image costs and where it ends, read from its headers before decoding.

- `decoded_bytes`: the memory one decoded copy takes (width x height x bytes per pixel of its
  mode), known from the header alone, so a small file that inflates to hundreds of megabytes
  is refused before any pixel is decoded.
- `image_end`: the offset where the image stream ends (JPEG EOI, PNG IEND, the RIFF size of
  WebP). Bytes after it (an HTML page, a script, a zip) are not part of the picture and are not
  stored or served.
"""

from __future__ import annotations

import struct

from PIL import Image

# Bytes per pixel of a decoded image by Pillow mode (unknown modes count 4).
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "LA": 2, "La": 2, "PA": 2, "I;16": 2, "I;16B": 2,
               "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3, "RGBA": 4, "RGBa": 4, "RGBX": 4,
               "CMYK": 4, "I": 4, "F": 4}


def decoded_bytes(image: Image.Image) -> int:
    """Memory of one decoded copy of an opened (not yet loaded) image."""
    width, height = image.size
    return width * height * _MODE_BYTES.get(image.mode, 4)


def image_end(data: bytes, fmt: str) -> int | None:
    """Offset just past the image stream in `data`, or None when its end cannot be found."""
    if fmt == "JPEG":
        return _jpeg_end(data)
    if fmt == "PNG":
        return _png_end(data)
    if fmt == "WEBP" and len(data) >= 12:
        (riff_size,) = struct.unpack("<I", data[4:8])
        end = 8 + riff_size + (riff_size & 1)
        return end if end <= len(data) else None
    return None


def _png_end(data: bytes) -> int | None:
    offset = 8
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        offset += 12 + length
        if kind == b"IEND":
            return offset if offset <= len(data) else None
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Walk the marker segments; entropy-coded data after each SOS runs to the next marker
    that is neither a stuffed 0xFF00 nor a restart marker."""
    if data[:2] != b"\xff\xd8":
        return None
    offset, size = 2, len(data)
    while offset + 2 <= size:
        if data[offset] != 0xFF:
            return None
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker == 0xD9:
            return offset + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            offset += 2
            continue
        if offset + 4 > size:
            return None
        (length,) = struct.unpack(">H", data[offset + 2:offset + 4])
        offset += 2 + length
        if marker == 0xDA:
            offset = _scan_entropy_data(data, offset)
    return None


def _scan_entropy_data(data: bytes, offset: int) -> int:
    size = len(data)
    while True:
        offset = data.find(b"\xff", offset)
        if offset < 0 or offset + 1 >= size:
            return size
        following = data[offset + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            offset += 2
            continue
        return offset
