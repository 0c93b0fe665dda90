"""The package's public names: each resolves, the type checker sees the same ones, in-memory needs no database."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import tenderguard

PACKAGE = Path(tenderguard.__file__)


def _type_checking_imports() -> dict[str, str]:
    """The names imported under ``if TYPE_CHECKING:`` in the package's ``__init__``, with their modules."""
    tree = ast.parse(PACKAGE.read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    return {a.name: str(n.module) for n in block.body if isinstance(n, ast.ImportFrom) for a in n.names}


def test_every_public_name_resolves_to_its_module_object() -> None:
    """Each name of ``__all__`` is the very object its module defines, and unknown names raise AttributeError."""
    homes = _type_checking_imports()
    assert set(tenderguard.__all__) == {*homes, "__version__"}
    for name, module in homes.items():
        assert getattr(tenderguard, name) is getattr(importlib.import_module(module), name), name
    assert set(tenderguard.__all__) <= set(dir(tenderguard))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = tenderguard.Nope


def test_lazy_table_matches_the_type_checked_imports() -> None:
    """The runtime table of homes and the imports the type checker reads name the same modules."""
    assert _type_checking_imports() == tenderguard._HOMES


HEAVY = ("sqlalchemy", "alembic", "psycopg", "openpyxl", "weasyprint", "PIL", "pygments", "mako")


def test_an_in_memory_day_loads_no_database_spreadsheet_or_rendering_library() -> None:
    """Screening one arrival in memory, in a fresh interpreter, leaves the heavy libraries unloaded."""
    script = f"""
HEAVY = {HEAVY!r}
import json, sys
from tenderguard import Gate, InMemoryStore, Centre, BidSession, Arrival, ManualClock
from tenderguard import load_preset
import datetime as dt, zoneinfo
tz = zoneinfo.ZoneInfo("Asia/Shanghai")
at = dt.datetime(2026, 11, 23, 8, 30, tzinfo=tz)
centre = Centre(code="MY", name="密云区公共资源交易中心")
store = InMemoryStore(centre)
gate = Gate(policy=load_preset("miyun-2020"), centre=centre, uow_factory=store.unit_of_work,
            clock=ManualClock(at), secret=b"k" * 32)
gate.register_session(BidSession(code="S1", project_name="道路工程", opens_at=at + dt.timedelta(hours=1),
                                 hall="第一开标室"))
desk = gate.desk("A", "王芳")
view = desk.arrive(Arrival(session="S1", role="bidder", name="张伟", document="11010519491231002X",
                           company="北京某建设有限公司", credit_code="91350100M000100Y43", at=at))
print(json.dumps({{"state": view.state, "loaded": sorted({{m.split(".")[0] for m in sys.modules}} & set(HEAVY))}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["state"] != "arrived", found
    assert found["loaded"] == [], f"an in-memory desk loaded {found['loaded']}"
