"""The CJK font of every document, chosen explicitly, and the check that it can draw every character to print.

Noto Sans CJK SC is preferred: it has a real bold face. WenQuanYi Micro Hei is the fallback; it has no bold,
so documents then print their bold text in the regular weight rather than in a smeared fake bold. Before
anything is rendered, :func:`check_coverage` compares the characters to print with the font's character map
(read once with fontTools and cached), and raises :class:`FontCoverageError` naming the missing characters,
instead of letting Pango fall back to another font or print empty boxes.

Documents then print with a subset of the font (:func:`print_stylesheet`): the characters of the batch plus a
few common ones, cut with HarfBuzz (a few milliseconds) and declared with ``@font-face`` in the process's one
:class:`FontConfiguration`. A later batch reuses it when its characters are covered; otherwise a subset of
every character seen so far is added. WeasyPrint then never loads the 20 MB font collection itself: a day's
2,000 badges print in one process with a peak under 140 MB (the need that keeps this subsetter: printing with
the whole collection peaks at 220–240 MB), and the PDF is half the size.
"""

from __future__ import annotations

import atexit
import functools
import shutil
from collections.abc import Iterable
from typing import Any

import attrs
from weasyprint import CSS  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

from tenderguard.errors import FontCoverageError
from tenderguard.render.fetcher import TemplateFetcher
from tenderguard.render.glyphs import CjkFont, FontFace, cjk_font, drawable, font_cmap
from tenderguard.render.subset import subset_face

__all__ = [
    "CjkFont",
    "FontFace",
    "check_coverage",
    "cjk_font",
    "font_cmap",
    "font_configuration",
    "missing_characters",
    "print_stylesheet",
]

def missing_characters(text: str, font: CjkFont | None = None) -> list[str]:
    """The distinct characters of ``text`` the font cannot draw, in order of code point."""
    printable = drawable(font or cjk_font())
    return sorted({char for char in text if ord(char) not in printable})


def check_coverage(fields: Iterable[tuple[str, str]], font: CjkFont | None = None) -> None:
    """Raise FontCoverageError naming the field and the characters the font cannot draw, if there are any."""
    font = font or cjk_font()
    printable = drawable(font)
    for field, text in fields:
        if not printable.issuperset(map(ord, text)):
            raise FontCoverageError(font.family, missing_characters(text, font), field=field)


@functools.cache
def font_configuration() -> FontConfiguration:
    """The process's one WeasyPrint FontConfiguration, shared by every render (fontconfig state is costly).

    Its folder of declared fonts (the print subsets) is removed when the process ends, even by SIGTERM or SIGHUP
    (the CLI turns them into a normal exit).
    """
    config = FontConfiguration()
    atexit.register(_remove_folder, config)
    return config


def _remove_folder(config: FontConfiguration) -> None:
    folder = getattr(config, "_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


#: Characters every print subset holds besides the batch's own: ASCII, CJK punctuation, dates.
_COMMON = (
    "".join(map(chr, range(0x20, 0x7F)))
    + "，。、：；！？（）《》【】「」“”‘’·—…－／　"
    + "年月日时分秒星期一二三四五六七八九十〇零天周"
)


@functools.cache
def common_characters() -> frozenset[int]:
    """Characters every print subset holds: printable ASCII, CJK punctuation, the characters of dates."""
    return frozenset(map(ord, _COMMON))


@attrs.frozen
class _PrintFont:
    """A subset of the CJK font declared with ``@font-face`` in the process's FontConfiguration."""

    font: CjkFont
    family: str
    code_points: frozenset[int] | None  # None: the installed family, every character of the font
    stylesheet: Any  # weasyprint.CSS


_print_fonts: list[_PrintFont] = []
#: Subsets declared in one FontConfiguration before it is replaced by a fresh one: each costs ~0.5 MB and
#: slows Pango's font lookups a little (the desk prints one badge at a time, often with new characters).
MAX_PRINT_FONTS = 24


def _font_css(family: str, bold_weight: int, faces: Iterable[tuple[int, str]] = ()) -> str:
    """CSS declaring ``faces`` (weight, URL) of ``family`` and printing the document in it."""
    rules = [f'@font-face {{ font-family: "{family}"; font-weight: {weight}; src: url("{url}"); }}\n'
             for weight, url in faces]
    rules.append(f':root {{ font-family: "{family}"; }}\n')
    rules.append(f"b, strong, .bold {{ font-weight: {bold_weight}; }}\n")
    return "".join(rules)


def print_stylesheet(text: Iterable[str], font: CjkFont | None = None) -> Any:
    """A parsed stylesheet (weasyprint.CSS) that prints every character of ``text`` in the CJK font.

    A subset of the font covering ``text`` and the common characters, made once and kept for the process; if
    HarfBuzz's subsetter is missing, the installed family itself (every face WeasyPrint then loads whole).
    """
    font = font or cjk_font()
    needed = frozenset(ord(char) for chunk in text for char in chunk)
    for known in _print_fonts:
        if known.font == font and (known.code_points is None or needed <= known.code_points):
            return known.stylesheet
    if len(_print_fonts) >= MAX_PRINT_FONTS:
        _print_fonts.clear()
        font_configuration.cache_clear()
    wanted = needed.union(
        common_characters(), *(known.code_points or () for known in _print_fonts if known.font == font)
    )
    fetcher = TemplateFetcher()
    family = f"TenderGuard {font.family} {len(_print_fonts) + 1}"
    faces: list[tuple[int, str]] = []
    for weight, face in ((400, font.regular), (700, font.bold)):
        data = subset_face(face.path, face.index, sorted(wanted)) if face is not None else None
        if face is not None and data is None:
            faces = []
            break
        if data is not None:
            faces.append((weight, fetcher.register(data, "font/otf")))
    covered: frozenset[int] | None = wanted
    if faces:
        css = _font_css(family, font.bold_weight, faces)
    else:  # no subsetter: print with the installed family
        css = _font_css(font.family, font.bold_weight)
        family, covered = font.family, None
    stylesheet = CSS(string=css, font_config=font_configuration(), url_fetcher=fetcher)
    _print_fonts.append(_PrintFont(font=font, family=family, code_points=covered, stylesheet=stylesheet))
    return stylesheet
