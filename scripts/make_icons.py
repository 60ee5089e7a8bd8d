"""Draws the field app's PNG icons with the standard library only (zlib + struct).

Run `python scripts/make_icons.py` after changing the design; the PNGs are committed.
The mark: a white door, ajar, on the brand colour; "any" icons have rounded corners, the
"maskable" ones fill the square and keep the mark inside the central safe zone (80 %).
"""

import struct
import zlib
from pathlib import Path

BRAND = (11, 95, 115)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parents[1] / "static" / "field" / "icons"
SAMPLES = 4  # 4 x 4 samples per pixel for smooth edges


def _rounded_rect(x: float, y: float, x0, y0, x1, y1, r) -> bool:
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _shape(u: float, v: float, maskable: bool) -> tuple[float, tuple]:
    """Colour and opacity at (u, v) in the unit square."""
    if maskable:
        background = True
        scale, off = 0.72, 0.14  # mark inside the safe zone
    else:
        background = _rounded_rect(u, v, 0.0, 0.0, 1.0, 1.0, 0.2)
        scale, off = 0.8, 0.1
    if not background:
        return 0.0, BRAND
    x, y = (u - off) / scale, (v - off) / scale  # mark coordinates
    # Door frame: a white outline with a dark opening.
    frame = _rounded_rect(x, y, 0.22, 0.14, 0.78, 0.9, 0.06)
    opening = _rounded_rect(x, y, 0.3, 0.22, 0.7, 0.9, 0.02)
    # The door leaf, ajar: a trapezoid hinged on the left of the opening.
    leaf = 0.3 <= x <= 0.6 and (0.22 + (x - 0.3) * 0.18) <= y <= (0.9 - (x - 0.3) * 0.1)
    knob = (x - 0.53) ** 2 + (y - 0.56) ** 2 <= 0.032**2
    threshold = 0.16 <= x <= 0.84 and 0.88 <= y <= 0.94
    if knob:
        return 1.0, BRAND
    if leaf or threshold or (frame and not opening):
        return 1.0, WHITE
    return 1.0, BRAND


def render(size: int, maskable: bool) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter type: none
        for px in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    u = (px + (sx + 0.5) / SAMPLES) / size
                    v = (py + (sy + 0.5) / SAMPLES) / size
                    alpha, colour = _shape(u, v, maskable)
                    for i in range(3):
                        acc[i] += colour[i] * alpha
                    acc[3] += alpha
            n = SAMPLES * SAMPLES
            a = acc[3] / n
            rgb = [round(acc[i] / acc[3]) for i in range(3)] if a > 0 else [0, 0, 0]
            row.extend([*rgb, round(a * 255)])
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(render(size, maskable=False))
        (OUT / f"maskable-{size}.png").write_bytes(render(size, maskable=True))


if __name__ == "__main__":
    main()
