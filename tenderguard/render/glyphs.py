"""The CJK font documents print in, and which characters it can draw — without loading WeasyPrint.

The desk asks at registration whether a person's name and company will print (:mod:`tenderguard.render.printable`),
so this half of the font handling stays light: fontconfig to find the family, fontTools to read its cmap once.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import attrs
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from tenderguard.errors import RenderError
from tenderguard.i18n import _

__all__ = ["CjkFont", "FontFace", "cjk_font", "drawable", "font_cmap"]

#: Families in order of preference, with the Debian files used when fontconfig's ``fc-list`` is not available.
_FAMILIES: tuple[tuple[str, tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]], ...] = (
    (
        "Noto Sans CJK SC",
        (("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),),
        (("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),),
    ),
    ("WenQuanYi Micro Hei", (("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),), ()),
)
#: fontconfig weights: 80 is regular, 200 is bold.
_REGULAR, _BOLD = 80, 200


@attrs.frozen
class FontFace:
    """One face of a font: its file and, in a collection (``.ttc``), its index."""

    path: Path
    index: int = 0


@attrs.frozen
class CjkFont:
    """The CJK font family documents are printed in; ``bold`` is None when the family has no real bold face."""

    family: str
    regular: FontFace
    bold: FontFace | None

    @property
    def bold_weight(self) -> int:
        """The CSS weight of bold text: 700 with a real bold face, else 400 (no synthetic bold)."""
        return 700 if self.bold is not None else 400

    @property
    def faces(self) -> tuple[FontFace, ...]:
        """Every face the documents may print with."""
        return (self.regular,) if self.bold is None else (self.regular, self.bold)


def _fc_list(family: str) -> dict[int, FontFace]:
    """The faces of ``family`` known to fontconfig, by fontconfig weight; empty without ``fc-list``."""
    executable = shutil.which("fc-list")
    if executable is None:
        return {}
    listing = subprocess.run(  # noqa: S603  # fixed arguments, the fontconfig tool found on PATH
        [executable, "-f", "%{file}\t%{index}\t%{weight}\n", family],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    ).stdout
    faces: dict[int, FontFace] = {}
    for line in sorted(listing.splitlines()):
        try:
            path, index, weight = line.split("\t")
            faces.setdefault(int(float(weight)), FontFace(Path(path), int(index)))
        except ValueError:
            continue
    return faces


@functools.cache
def cjk_font() -> CjkFont:
    """The installed CJK font to print with: Noto Sans CJK SC, else WenQuanYi Micro Hei (looked up once)."""
    for family, regular_files, bold_files in _FAMILIES:
        faces = _fc_list(family)
        regular = faces.get(_REGULAR) or next(
            (FontFace(Path(p), i) for p, i in regular_files if Path(p).is_file()), None
        )
        if regular is None:
            continue
        bold = faces.get(_BOLD) or next((FontFace(Path(p), i) for p, i in bold_files if Path(p).is_file()), None)
        return CjkFont(family=family, regular=regular, bold=bold)
    raise RenderError(
        _("no CJK font found: neither Noto Sans CJK SC nor WenQuanYi Micro Hei is installed"),
        hint=_("install fonts-noto-cjk (or fonts-wqy-microhei)"),
    )


@functools.cache
def font_cmap(face: FontFace) -> frozenset[int]:
    """The code points ``face`` has a glyph for (its best cmap), read once with fontTools.

    Only ``maxp`` and ``cmap`` are read: placeholder glyph names stop fontTools from decompiling the 15 MB CFF
    table of a CJK font just to name the glyphs the cmap points at.
    """
    try:
        with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
            font.setGlyphOrder([f"g{gid}" for gid in range(font["maxp"].numGlyphs)])
            cmap = font.getBestCmap() or {}
            return frozenset(code for code, glyph in cmap.items() if glyph != "g0")
    except Exception as exc:  # fontTools raises assorted errors on unreadable files
        raise RenderError(
            _("cannot read the font {path}: {exc}", path=face.path, exc=exc), hint=_("reinstall the font package")
        ) from exc


@functools.cache
def drawable(font: CjkFont) -> frozenset[int]:
    """The code points every face of ``font`` can draw."""
    return frozenset.intersection(*(font_cmap(face) for face in font.faces))
