"""Batch mode: replay a desk's records (one JSON arrival per line) through the desk, one result per line.

Each line is validated in full before anything is stored, so a bad line becomes an ``invalid`` result naming the
field and leaves the store unchanged; the lines before and after it are processed as usual.

Input fields: ``session``, ``company``, ``credit_code``, ``role`` (default ``bidder``), ``name``, ``id_number``
(and optionally ``document_kind``), ``phone``, ``at`` (ISO time with offset), ``mask`` (``ok``/``replaced``/
``refused``), ``temperatures`` (readings in °C, in order; re-measures are taken after the policy's rest time),
``answers`` (question id → true/false; missing questions count as the no-risk answer), ``declaration``
(``complete``/``missing``/``mismatch``), ``key_area`` (bool), ``health_code`` (``green``/``yellow``/``red``),
``test_at`` (time of the nucleic-acid test, or null), ``test_negative`` (bool), ``hall`` (for a session registered
on first use), and for a substitution ``replaces`` (the handed-back badge serial) with ``reason``.
An exit is a line ``{"exit": "<badge serial>", "at": "..."}``.
"""

from tenderguard.batch.records import ARRIVAL_FIELDS, BatchRecord, parse_arrival, parse_record
from tenderguard.batch.replay import LINE_ATTEMPTS, run_batch

__all__ = ["ARRIVAL_FIELDS", "LINE_ATTEMPTS", "BatchRecord", "parse_arrival", "parse_record", "run_batch"]
