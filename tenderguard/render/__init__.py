"""Documents: the Jinja environment, the safe URL fetcher, the CJK font and its coverage check, badges as PDF.

Everything printed goes through one Jinja environment (autoescape, ``StrictUndefined``), one URL fetcher that
loads only the templates folder, and one font checked for every character before rendering.
"""

from tenderguard.render.badges import LAYOUTS, WEEKDAYS, BadgeCard, Layout, RenderResult, render_badges
from tenderguard.render.environment import render_template, template_environment, templates_dir
from tenderguard.render.fetcher import TemplateFetcher
from tenderguard.render.fonts import (
    CjkFont,
    FontFace,
    check_coverage,
    cjk_font,
    font_cmap,
    font_configuration,
    missing_characters,
)
from tenderguard.render.qr import qr_png
from tenderguard.render.text import check_text

__all__ = [
    "LAYOUTS",
    "WEEKDAYS",
    "BadgeCard",
    "CjkFont",
    "FontFace",
    "Layout",
    "RenderResult",
    "TemplateFetcher",
    "check_coverage",
    "check_text",
    "cjk_font",
    "font_cmap",
    "font_configuration",
    "missing_characters",
    "qr_png",
    "render_badges",
    "render_template",
    "template_environment",
    "templates_dir",
]
