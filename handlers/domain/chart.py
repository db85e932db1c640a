"""The impact chart as a PNG: a tiny writer with a 3x5 pixel font, so no plotting library is
needed (the EOI funnel and SMEs engaged over time)."""

from __future__ import annotations

import struct
import zlib

from handlers.domain.impact import ImpactReport, fold
from handlers.domain.stages import END_STAGES, STAGES, stage_label
from handlers.kernel.text import t

_GLYPHS = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111",
    "3": "111001111001111", "4": "101101111001001", "5": "111100111001111",
    "6": "111100111101111", "7": "111001001010010", "8": "111101111101111",
    "9": "111101111001111", "A": "010101111101101", "B": "110101110101110",
    "C": "011100100100011", "D": "110101101101110", "E": "111100110100111",
    "F": "111100110100100", "G": "011100101101011", "H": "101101111101101",
    "I": "111010010010111", "J": "001001001101010", "K": "101101110101101",
    "L": "100100100100111", "M": "101111111101101", "N": "110101101101101",
    "O": "010101101101010", "P": "110101110100100", "Q": "010101101110011",
    "R": "110101110101101", "S": "011100010001110", "T": "111010010010010",
    "U": "101101101101111", "V": "101101101101010", "W": "101101111111101",
    "X": "101101010101101", "Y": "101101010010010", "Z": "111001010100111",
    "-": "000000111000000", ":": "000010000010000", ".": "000000000000010",
    "/": "001001010100100", "(": "010100100100010", ")": "010001001001010",
    " ": "000000000000000",
}
WHITE, INK, BAR, BAR2, GRID = (255, 255, 255), (40, 40, 40), (0, 94, 165), (0, 150, 110), (220, 220, 220)
ENDED = (150, 150, 150)  # not selected, withdrawn


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(WHITE) * width * height)

    def rect(self, x: int, y: int, w: int, h: int, colour: tuple[int, int, int]) -> None:
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        if x1 <= x0:
            return
        line = bytes(colour) * (x1 - x0)
        for row in range(y0, y1):
            offset = (row * self.width + x0) * 3
            self.pixels[offset:offset + len(line)] = line

    def text(self, x: int, y: int, text: str, scale: int = 2, colour: tuple[int, int, int] = INK) -> int:
        """Draw upper-cased text; returns the x after it."""
        for ch in fold(text).upper():
            glyph = _GLYPHS.get(ch, _GLYPHS[" "])
            for i, bit in enumerate(glyph):
                if bit == "1":
                    self.rect(x + (i % 3) * scale, y + (i // 3) * scale, scale, scale, colour)
            x += 4 * scale
        return x

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(self.pixels[r * self.width * 3:(r + 1) * self.width * 3])
                       for r in range(self.height))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return (struct.pack(">I", len(data)) + kind + data
                    + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def chart_png(report: ImpactReport, width: int = 720, height: int = 480) -> bytes:
    """The funnel (top) and SMEs engaged over time (bottom) as a PNG image."""
    canvas = _Canvas(width, height)
    canvas.text(12, 10, t("impact.chart_funnel", period=report.period_text()))
    label_w, top = 200, 34
    bars = [(s, report.funnel.get(s, 0), BAR) for s in STAGES]
    bars += [(s, report.ended.get(s, 0), ENDED) for s in END_STAGES]  # the funnel's other exits
    biggest = max([n for _, n, _ in bars] + [1])
    bar_space = width - label_w - 60
    row = max(12, min(26, (height // 2 - top) // len(bars)))
    for i, (stage, n, colour) in enumerate(bars):
        y = top + i * row
        canvas.text(12, y + (row - 10) // 2, stage_label(stage).split(" (")[0])
        length = max(1, round(bar_space * n / biggest)) if n else 0
        canvas.rect(label_w, y, length, row - 6, colour)
        canvas.text(label_w + length + 6, y + (row - 10) // 2, str(n))
    middle = top + len(bars) * row + 16
    canvas.rect(0, middle - 8, width, 1, GRID)
    canvas.text(12, middle, t("impact.chart_over_time"))
    points = report.over_time[-24:]
    plot_top, plot_bottom = middle + 30, height - 30
    if not points:
        canvas.text(12, plot_top + 20, t("impact.chart_empty"))
        return canvas.png()
    peak = max(p.cumulative for p in points) or 1
    slot = (width - 40) // len(points)
    bar_w = max(2, slot - 6)
    for i, p in enumerate(points):
        x = 20 + i * slot
        h = round((plot_bottom - plot_top - 16) * p.cumulative / peak)
        canvas.rect(x, plot_bottom - h, bar_w, h, BAR2)
        canvas.text(x, plot_bottom - h - 8, str(p.cumulative), scale=1)
        every = max(1, (len(points) * 32) // (width - 40) + 1)
        if i % every == 0:
            canvas.text(x, plot_bottom + 6, p.month[2:], scale=1)
    canvas.rect(16, plot_bottom, width - 32, 1, INK)
    return canvas.png()
