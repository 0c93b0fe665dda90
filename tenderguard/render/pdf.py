"""Writing an HTML document as a PDF: the one path every printed document takes (notices, forms, reports).

Before WeasyPrint runs, every character the document prints is checked against the CJK font; the document is
rendered through the template fetcher (nothing outside ``templates/``, no network) under the process-wide render
lock, written to an unnamed file and named when complete, so a PDF appears complete or not at all (and a
process killed while writing leaves nothing behind).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path

from weasyprint import CSS, HTML  # type: ignore[import-untyped]
from weasyprint.urls import FatalURLFetchingError  # type: ignore[import-untyped]

from tenderguard.errors import RenderError
from tenderguard.i18n import _
from tenderguard.records.files import private_output
from tenderguard.render.environment import templates_dir
from tenderguard.render.fetcher import TemplateFetcher
from tenderguard.render.fonts import check_coverage, font_configuration, print_stylesheet

__all__ = ["RENDERING", "visible_text", "write_pdf"]

#: WeasyPrint and its fontconfig and Pango state are not safe to use from two threads at once: one render at a time.
RENDERING = threading.RLock()


class _VisibleText(HTMLParser):
    """Collects the text an HTML document prints (not its style, script or title)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Enter a hidden element."""
        if tag in ("style", "script", "title"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        """Leave a hidden element."""
        if tag in ("style", "script", "title"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        """Keep printed text."""
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The characters ``html`` prints, without whitespace (which every font draws or skips)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "".join(char for char in "".join(parser.parts) if not char.isspace())


def write_pdf(html: str, out: Path, *, folder: str, stylesheet: str, fields: Iterable[tuple[str, str]] = (),
              css_text: Sequence[str] = (), fetcher: TemplateFetcher | None = None) -> Path:
    """Check the font covers ``fields``, the printed text and ``css_text``; write ``html`` as a PDF to ``out``.

    ``folder`` is the templates sub-folder the document's resources come from, ``stylesheet`` its CSS file there;
    ``css_text`` is text the stylesheet prints (``content:``), checked and subset with the rest. The file is written
    readable by its owner only and appears complete or not at all.
    """
    fetcher = fetcher or TemplateFetcher()
    printed = visible_text(html)
    check_coverage([*((name, "".join(v.split())) for name, v in fields), ("template", printed),
                    *(("stylesheet", text) for text in css_text)])
    base = templates_dir() / folder
    out = Path(out)
    if not out.parent.is_dir():
        raise RenderError(_("cannot write to {parent}: the folder does not exist", parent=out.parent),
                          hint=_("create the folder or pick another"))
    try:
        with RENDERING, private_output(out) as stream:
            document = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher)
            sheets = [CSS(url=(base / stylesheet).as_uri(), url_fetcher=fetcher),
                      print_stylesheet([printed, *css_text])]
            document.render(font_config=font_configuration(), stylesheets=sheets).write_pdf(stream)
    except FatalURLFetchingError as exc:
        if isinstance(exc.__cause__, RenderError):
            raise exc.__cause__ from None
        raise RenderError(_("a resource could not be loaded: {exc}", exc=exc), hint=_("check the templates")) from exc
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise RenderError(
            _("WeasyPrint could not render {out_name}: {exc}", out_name=out.name, exc=exc),
            hint=_("check the templates"),
        ) from exc
    return out
