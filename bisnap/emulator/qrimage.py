"""The `qrImage` of a generated QRIS: a base64 PNG, drawn without an image library.

The emulator's picture is a placeholder with a QR code's look (three finder squares and a
module grid derived from the QR content), not a scannable code: apps under test decode
`qrContent`, and the image only has to be a valid base64 PNG, as Midtrans's is.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib

__all__ = ["qr_image_base64", "qr_png"]

_MODULES = 25
_SCALE = 4
_QUIET = 2


def _finder(row: int, col: int) -> bool | None:
    """The finder-pattern colour at (row, col), or None outside the three corners."""
    for top, left in ((0, 0), (0, _MODULES - 7), (_MODULES - 7, 0)):
        r, c = row - top, col - left
        if 0 <= r < 7 and 0 <= c < 7:
            ring = min(r, c, 6 - r, 6 - c)
            return ring != 1
    return None


def _modules(content: str) -> list[list[bool]]:
    bits = hashlib.shake_256(content.encode("utf-8", "surrogatepass")).digest(_MODULES * _MODULES)
    grid = []
    for row in range(_MODULES):
        line = []
        for col in range(_MODULES):
            fixed = _finder(row, col)
            line.append(fixed if fixed is not None else bool(bits[row * _MODULES + col] & 1))
        grid.append(line)
    return grid


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def qr_png(content: str) -> bytes:
    """A black-and-white PNG (8-bit grayscale) drawn from `content`."""
    grid = _modules(content)
    side = (_MODULES + 2 * _QUIET) * _SCALE
    rows = []
    for y in range(side):
        row = bytearray(b"\x00")  # filter type 0 (None) for every scanline
        for x in range(side):
            r, c = y // _SCALE - _QUIET, x // _SCALE - _QUIET
            dark = 0 <= r < _MODULES and 0 <= c < _MODULES and grid[r][c]
            row.append(0 if dark else 255)
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def qr_image_base64(content: str) -> str:
    """`qr_png(content)` as base64 text, the form of `qrImage`."""
    return base64.b64encode(qr_png(content)).decode("ascii")
