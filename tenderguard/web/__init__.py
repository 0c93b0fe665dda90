"""The web gate: the desk page for the clerks, the supervisor's board, the door's scanner page and the JSON API.

``app`` builds the FastAPI application on one opened gate (:mod:`tenderguard.services.wiring`); ``security``
holds the login, the roles and the session; ``pages`` the HTML pages (rendered by the one Jinja environment,
updated with htmx, every asset served from ``static/``); ``api`` the JSON API for the centre's systems.
``tenderguard serve`` runs it on uvicorn.
"""

from tenderguard.web.app import create_app

__all__ = ["create_app"]
