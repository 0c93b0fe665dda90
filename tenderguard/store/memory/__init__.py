"""In-memory repositories and unit of work: a plain fake of the database store.

For tests, and for the library used without a database. The store holds the committed objects. A unit of work
works on copies: what it loads is copied, what it adds is kept aside, and only
:meth:`~InMemoryUnitOfWork.commit` puts them into the store — so rolling back (or leaving without a commit) is
forgetting the copies, the contract a database transaction gives. Units of work run one at a time (the store's
lock is held from ``with`` to the block's end), as desks take turns at SQLite's write lock. A commit queues the
operation's audit entries; sealing (``Gate.seal_audit``) chains them, as in the SQL store.
"""

from tenderguard.store.memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork

__all__ = ["InMemoryStore", "InMemoryUnitOfWork"]
