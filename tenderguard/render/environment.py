"""The one place where the Jinja environment for documents is built, and where the templates folder is found.

Templates live in the repository's top-level ``templates/`` folder. The wheel ships that folder inside the
package as ``tenderguard/render/templates/`` (a symlink of that name in a checkout points at it); a checkout
without the symlink falls back to the repository folder itself.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from tenderguard.errors import RenderError
from tenderguard.i18n import _

__all__ = ["render_template", "template_environment", "templates_dir"]

#: The package whose ``templates`` folder holds the templates in an installed wheel.
_PACKAGE = "tenderguard.render"


@functools.cache
def templates_dir() -> Path:
    """The folder holding the Jinja templates and their CSS, resolved to a real path."""
    installed = resources.files(_PACKAGE) / "templates"
    candidates = [Path(str(installed)), Path(__file__).resolve().parents[2] / "templates"]
    for candidate in candidates:
        if (candidate / "badges").is_dir():
            return candidate.resolve()
    raise RenderError(
        "the templates folder is missing (looked in " + ", ".join(str(c) for c in candidates) + ")",
        hint=_("reinstall tenderguard; in a checkout, keep the top-level templates/ folder"),
    )


@functools.cache
def template_environment() -> jinja2.Environment:
    """The shared Jinja environment: templates folder, undefined names are errors, HTML escaped, text not.

    Plain-text documents (``.txt``: letters, SMS, phone scripts) are not HTML: escaping them would print
    ``&amp;`` and ``&#39;`` in a company's or a person's name.
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=jinja2.select_autoescape(("html", "htm", "xml", "svg"), disabled_extensions=("txt",),
                                            default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )


def render_template(name: str, /, **context: Any) -> str:
    """Render the template ``name`` (``badges/sheet.html``) with ``context``; Jinja errors become RenderError."""
    try:
        return template_environment().get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(
            _("template {exc_name!r} not found in {templates_dir}", exc_name=exc.name, templates_dir=templates_dir()),
            hint=_("check the template name"),
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            _("template {value!r} line {lineno}: {message}", value=exc.name or name, lineno=exc.lineno,
              message=exc.message), hint=_("fix the template")
        ) from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(
            _("template {name!r} uses an undefined value: {message}", name=name, message=exc.message),
            hint=_("pass every value the template names"),
        ) from exc
    except jinja2.TemplateError as exc:
        raise RenderError(_("template {name!r} failed: {exc}", name=name, exc=exc), hint=_("fix the template")) from exc
