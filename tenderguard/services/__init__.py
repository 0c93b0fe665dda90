"""Use cases of the gate, by job: the day's set-up and the desks, reminders, badges, records, signals.

``gate`` (the day's set-up, opening desks), ``desk`` (screening an arrival), ``reminders``, ``badges``, ``records``,
``signals``, ``signin`` (the bidder sign-in sheet) and ``webhooks`` hold the use cases; ``views`` what a desk
shows; ``bus`` the domain events' delivery.

Each use case is one unit of work: it loads what it needs through the repositories, lets the domain decide,
commits, and then publishes the domain events to the :class:`MessageBus` (a failing subscriber never undoes a
committed admission). Callers get :class:`ScreeningView` snapshots, never the live entities.
"""

from tenderguard.services.bus import MessageBus
from tenderguard.services.desk import Desk
from tenderguard.services.gate import Gate
from tenderguard.services.views import ID_KEY_SETTING, OVERRIDE_RELEASES, ScreeningView

__all__ = ["ID_KEY_SETTING", "OVERRIDE_RELEASES", "Desk", "Gate", "MessageBus", "ScreeningView"]
