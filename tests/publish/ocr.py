"""Reading rendered text back: tesseract for Arabic and Latin, template matching for Tifinagh
(no tesseract model for Tifinagh exists in Debian or in tesseract's tessdata)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

TESSERACT = shutil.which("tesseract")
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")


def ocr(png: Path, lang: str = "ara+eng") -> str:
    """Tesseract's reading of an image, whitespace collapsed."""
    done = subprocess.run([TESSERACT, str(png), "-", "-l", lang], capture_output=True,
                          check=True, timeout=120)
    return " ".join(done.stdout.decode("utf-8").split())


def pdf_pages(pdf: Path, out: Path, dpi: int = 150, last: int | None = None) -> list[Path]:
    """The PDF's pages (up to `last`) as PNG files."""
    limit = ["-l", str(last)] if last else []
    subprocess.run([PDFTOPPM, "-r", str(dpi), *limit, "-png", str(pdf), str(out / "page")],
                   check=True, timeout=120)
    return sorted(out.glob("page-*.png"))


def pdf_text(pdf: Path) -> str:
    """The PDF's text layer, bidi embedding controls (which pdftotext adds) removed."""
    done = subprocess.run([PDFTOTEXT, str(pdf), "-"], capture_output=True, check=True,
                          timeout=60)
    return re.sub("[\u202a-\u202e\u2066-\u2069]", "", done.stdout.decode("utf-8"))


def _gray(image) -> np.ndarray:
    from PIL import Image

    if image.mode == "RGBA":
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        white.alpha_composite(image)
        image = white
    return np.asarray(image.convert("L"), dtype=np.float64)


def best_match(haystack, needle) -> float:
    """The highest normalised cross-correlation of `needle` anywhere in `haystack` (0-1)."""
    big, small = _gray(haystack), _gray(needle)
    h, w = small.shape
    t = small - small.mean()
    t_norm = np.sqrt((t ** 2).sum())
    shape = (big.shape[0] + h, big.shape[1] + w)
    corr = np.fft.irfft2(np.fft.rfft2(big, shape) * np.conj(np.fft.rfft2(t, shape)), shape)
    corr = corr[:big.shape[0] - h + 1, :big.shape[1] - w + 1]
    s1 = np.pad(big, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    s2 = np.pad(big ** 2, ((1, 0), (1, 0))).cumsum(0).cumsum(1)

    def window(s):
        return s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]

    total, squares = window(s1), window(s2)
    variance = np.maximum(squares - total ** 2 / (h * w), 1e-9)
    score = corr / (np.sqrt(variance) * t_norm + 1e-9)
    return float(score.max())
