"""The WeasyPrint URL fetcher of every TenderGuard document: templates folder and our own data only.

Everything a document may load is either a file inside the templates folder (the stylesheets, the crop marks)
or a ``data:`` URL the renderer registered itself (the QR codes). Any other ``file://`` path, any network
scheme (``http``, ``https``, ``ftp``…) and any other URL is refused with a :class:`RenderError`, which stops the
rendering: nothing a template or a printed value names can read the disk or reach the network.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

from tenderguard.errors import RenderError
from tenderguard.i18n import _
from tenderguard.render.environment import templates_dir

__all__ = ["TemplateFetcher"]

_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".html": "text/html"}
_HINT = "documents load only files inside the templates folder and the data TenderGuard generates"


def _shown(url: str) -> str:
    """The URL shortened for an error message."""
    return url if len(url) <= 80 else url[:77] + "..."


class TemplateFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type information
    """Loads files inside ``root`` (the templates folder) and the ``data:`` URLs registered here; refuses the rest.

    Refusals raise :class:`RenderError`; the fetcher is built with ``fail_on_errors`` so that WeasyPrint stops
    the rendering instead of leaving a hole in the page.
    """

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(fail_on_errors=True, allowed_protocols=("file", "data"), allow_redirects=False)
        self.root = (root if root is not None else templates_dir()).resolve()
        self._data: dict[str, tuple[bytes, str]] = {}

    def register(self, data: bytes, mime_type: str) -> str:
        """A ``data:`` URL of ``data`` that this fetcher will serve (and the only kind of data URL it serves)."""
        url = f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"
        self._data[url] = (data, mime_type)
        return url

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        """The resource at ``url`` if it is allowed; otherwise raise RenderError naming it."""
        scheme, _colon, _rest = url.partition(":")
        scheme = scheme.lower()
        if scheme == "data":
            registered = self._data.get(url)
            if registered is None:
                raise RenderError(
                    _("refused a data: URL the renderer did not generate: {shown}", shown=_shown(url)), hint=_HINT
                )
            body, mime_type = registered
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime_type})
        if scheme == "file":
            path = self.local_path(url)
            content_type = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
            return URLFetcherResponse(
                path.as_uri(),
                body=path.read_bytes(),
                headers={"Content-Type": content_type or "application/octet-stream"},
            )
        kind = "network" if scheme in ("http", "https", "ftp", "ftps", "ws", "wss", "sftp", "gopher") else "unknown"
        raise RenderError(_("refused to fetch {shown}: {kind} URLs never load in a document", shown=_shown(url),
                            kind=kind), hint=_HINT)

    def local_path(self, url: str) -> Path:
        """The file inside the templates folder that the ``file://`` ``url`` names; RenderError if it is outside."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise RenderError(_("refused to fetch {shown}: a file on another host", shown=_shown(url)), hint=_HINT)
        try:
            path = Path(url2pathname(parts.path)).resolve()
        except (OSError, ValueError) as exc:
            raise RenderError(_("refused to fetch {shown}: not a valid path", shown=_shown(url)), hint=_HINT) from exc
        if not path.is_relative_to(self.root):
            raise RenderError(_("refused to fetch {shown}: outside the templates folder {root}", shown=_shown(url),
                                root=self.root), hint=_HINT)
        if not path.is_file():
            raise RenderError(
                _("cannot fetch {shown}: no such file in the templates folder", shown=_shown(url)), hint=_HINT
            )
        return path
