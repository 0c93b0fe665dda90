"""Storage: repository interfaces, the unit of work, and their in-memory implementation.

The service layer only sees :class:`AbstractUnitOfWork` and the repository interfaces; backends plug in behind
them without the domain knowing.
"""

from tenderguard.store.memory import InMemoryStore, InMemoryUnitOfWork
from tenderguard.store.unit_of_work import AbstractUnitOfWork

__all__ = ["AbstractUnitOfWork", "InMemoryStore", "InMemoryUnitOfWork"]
