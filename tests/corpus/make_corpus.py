"""Write the hostile-input corpus of ``tests/corpus/`` and its ``expected.json``, the same bytes on every run.

Run it from the repository root after changing it: ``.venv/bin/python tests/corpus/make_corpus.py``; commit what
it writes. ``tests/e2e/test_corpus.py`` feeds every file to the real CLI and checks it against ``expected.json``.

Folders, one per entry point:

* ``batch/`` — JSON-lines files for ``tenderguard screen --batch``: good lines (admitted) around each hostile
  line, so every hostile line sits between two good ones;
* ``import/`` — day plans for ``tenderguard import``;
* ``policy/`` — policy files for ``tenderguard policy check``;
* ``codes/`` — badge codes for ``tenderguard badge verify``, one per line (UTF-8, or raw bytes where the code
  itself is not UTF-8);
* ``revocations/`` — revocation lists for ``tenderguard badge verify --revocations``.

Files over 64 KiB are stored gzip-compressed (``.gz``) and unpacked by the test before use. Codes and lists are
signed with a corpus key derived from a fixed seed (never a centre's key); its public key is
``codes/badge-signing.pub``.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tenderguard.domain.badge_code import BadgeClaim, sign_claim
from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival, batch_line

CORPUS = Path(__file__).resolve().parent
DAY = dt.date(2026, 11, 23)
ARRIVED = dt.datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)
SESSION = "MY-2026-118"
#: Files larger than this are stored compressed.
COMPRESS_OVER = 64 * 1024
#: Seeds of the corpus's signing keys: the "centre" key and another one, for forgeries. Test keys only.
CORPUS_SEED = hashlib.sha256(b"tenderguard hostile-input corpus: centre key").digest()
OTHER_SEED = hashlib.sha256(b"tenderguard hostile-input corpus: another key").digest()
CENTRE_KEY = Ed25519PrivateKey.from_private_bytes(CORPUS_SEED)
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(OTHER_SEED)

#: A value of each JSON type but text, for the wrong-type lines.
WRONG_TYPES: dict[str, Any] = {"number": 5, "list": ["张伟"], "object": {"text": "张伟"}, "null": None, "bool": True}
#: Fields a line may leave out, for which null reads as "left out" (parse_record reads them with ``.get``).
NULL_IS_ABSENT = frozenset({"role", "document_kind", "phone", "hall", "replaces", "reason", "override"})
#: The policy that reads each field the batch reader checks only when a step of the policy uses it.
FIELD_POLICY = {"temperatures": "miyun-2020", "mask": "miyun-2020", "declaration": "miyun-2020",
                "answers": "miyun-2020", "health_code": "health-code", "test_at": "health-code"}
CONTROLS = {"NUL": "\x00", "ESC": "\x1b", "U+202E": "\u202e", "U+2028": "\u2028"}

_next_person = 0


def _person() -> int:
    """A person (and company) number used once in the whole corpus."""
    global _next_person  # noqa: PLW0603 - one counter for the generator run
    _next_person += 1
    return _next_person


def good_line(**extra: Any) -> dict[str, Any]:
    """A line every policy admits: a new person of a new company, with every desk input a policy may ask for."""
    n = _person()
    return batch_line(arrival(n, session=SESSION, at=ARRIVED, name=f"张{n}"), temperatures=[36.5],
                      health_code="green", test_at="2026-11-22T10:00:00+08:00", test_negative=True) | extra


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _write(path: Path, data: bytes) -> str:
    """Write ``data`` (compressed when large) and return its name relative to the corpus."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(data) > COMPRESS_OVER:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data, compresslevel=9, mtime=0)
    path.write_bytes(data)
    return path.relative_to(CORPUS).as_posix()


# --- batch ------------------------------------------------------------------------------------------------------


def _batch(name: str, hostile: list[tuple[str, bytes, str]], policy: str = "badge-only") -> dict[str, Any]:
    """A batch file: good, hostile, good, hostile, …, good; each hostile line with its case and expected outcome."""
    lines = [_dump(good_line())]
    for _case, data, _outcome in hostile:
        lines += [data, _dump(good_line())]
    file = _write(CORPUS / "batch" / f"{name}.jsonl", b"\n".join(lines) + b"\n")
    return {"file": file, "policy": policy, "cases": [case for case, _, _ in hostile],
            "outcomes": ["admitted"] + [o for _, _, o in hostile for o in (o, "admitted")]}


def _hostile(case: str, data: bytes | dict[str, Any], outcome: str = "invalid") -> tuple[str, bytes, str]:
    return case, data if isinstance(data, bytes) else _dump(data), outcome


def batch_files() -> list[dict[str, Any]]:
    """Every batch file with its expectations."""
    out = []
    out.append(_batch("nesting", [
        _hostile("an array nested 200,000 deep", b"[" * 200_000 + b"]" * 200_000),
        _hostile("a name nested 100,000 objects deep",
                 b'{"session": "MY-2026-118", "name": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"}"),
    ]))
    out.append(_batch("huge-integers", [
        _hostile("a 5,000-digit integer as session", b'{"session": ' + b"9" * 5_000 + b"}"),
        _hostile("a 400-digit integer as the time", good_line(at=10**399)),
        _hostile("a 400-digit integer as the ID number", good_line(id_number=10**399)),
        _hostile("a 400-digit integer as a reading", good_line(temperatures=[10**399])),
        _hostile("a 4,000-digit integer as a reading", good_line(temperatures=[10**3999])),
    ], policy="miyun-2020"))
    gbk = good_line()
    out.append(_batch("invalid-utf8", [
        _hostile("a GBK-encoded name", _dump(gbk).replace(gbk["name"].encode(), gbk["name"].encode("gbk"))),
        _hostile("a 0xFF byte in the company", _dump(good_line(company="北京建设工程X")).replace(b"X", b"\xff")),
        _hostile("an overlong encoding of '/' in the session",
                 _dump(good_line(session="MY-2026-118X")).replace(b"X", b"\xc0\xaf")),
        _hostile("a multi-byte character cut short in the name",
                 _dump(good_line(name="张X")).replace(b"X", b"\xe4\xb8")),
        _hostile("invalid bytes in a field name", _dump(good_line()).replace(b'"name"', b'"n\xfe\xffame"')),
    ]))
    surrogate = [("name", "张\\ud800"), ("company", "\\udfff北京建设工程"), ("session", "MY-2026-\\ud83d"),
                 ("hall", "第一开标室\\udc80"), ("at", "2026-11-23T08:30:00\\ud800+08:00")]
    out.append(_batch("lone-surrogates", [
        _hostile(f"a lone surrogate in {field}",
                 _dump(good_line(**{"session": "MY-2026-131", field: "@@"})).replace(b"@@", text.encode()))
        for field, text in surrogate
    ] + [_hostile("two high surrogates in a row in the name",
                  _dump(good_line(name="@@")).replace(b"@@", b"\\ud83d\\ud83d"))]))
    for field in ("name", "company", "hall", "session", "project"):
        cases: list[tuple[str, bytes, str]] = []
        for label, char in CONTROLS.items():
            if field == "project":
                line = good_line(project=f"密云区道路{char}工程")
            elif field == "hall":  # a hall is read when the line registers its session: a new session
                line = good_line(hall=f"第一开标室{char}", session=f"MY-2026-14{len(cases)}")
            elif field == "session":
                line = good_line(session=f"MY-2026{char}-150")
            else:
                line = good_line(**{field: f"{'张' if field == 'name' else '北京建设工程'}{char}伟"})
            if label == "U+2028" and field in {"name", "company", "hall"}:  # a line break, folded to a space
                cases.append(_hostile(f"{label} in the {field} (folded to a space)", line, "admitted"))
            else:
                cases.append(_hostile(f"{label} in the {field}", line))
        if field == "name":  # the result repeats the name: U+2028 in it must not break results.jsonl's line
            cases.append(_hostile("U+2028 in a name that is invalid (markup)", good_line(name="张\u2028<b>伟</b>")))
        out.append(_batch(f"controls-in-{field}", cases))
    out.append(_batch("ten-megabyte-line", [
        _hostile("a 10 MB line (a name of 3.5 million characters)", good_line(name="张" * 3_500_000)),
    ]))
    out.append(_batch("unknown-fields", [
        _hostile("an unknown field", good_line(extra="x")),
        _hostile("a field name in another case", {k.upper() if k == "name" else k: v
                                                  for k, v in good_line().items()}),
        _hostile("a __proto__ field", good_line(__proto__={"admin": True})),
        _hostile("an empty field name", good_line(**{"": "x"})),
        _hostile("a 10,000-character field name", good_line(**{"k" * 10_000: 1})),
        _hostile("the same field twice (session)",
                 _dump(good_line()).replace(b'"session": ', b'"session": "MY-2026-999", "session": ', 1)),
    ]))
    out.append(_batch("times", [
        _hostile("a time without zone", good_line(at="2026-11-23T08:30:00")),
        _hostile("year 9999, for a session of 2026", good_line(at="9999-12-31T23:59:59+08:00")),
        _hostile("a slash-separated time", good_line(at="2026/11/23 08:30")),
        _hostile("a day only", good_line(at="2026-11-23")),
        _hostile("hour 25", good_line(at="2026-11-23T25:00:00+08:00")),
        _hostile("a zone name in brackets", good_line(at="2026-11-23T08:30:00+08:00[Asia/Shanghai]")),
        _hostile("an offset of 24 hours", good_line(at="2026-11-23T08:30:00+24:00")),
        _hostile("a word", good_line(at="tomorrow")),
        _hostile("year 1", good_line(at="0001-01-01T00:00:00+08:00")),
        _hostile("past 9999-12-31 in UTC", good_line(at="9999-12-31T23:59:59-08:00")),
    ]))
    out.append(_batch("id-numbers", [
        _hostile("a wrong check digit", good_line(id_number="110105197001010012")),
        _hostile("17 characters", good_line(id_number="11010519700101001")),
        _hostile("19 characters", good_line(id_number="1101051970010100111")),
        _hostile("full-width digits (folded to ASCII, the same number)",
                 good_line(id_number="１１０１０５" + good_line()["id_number"][6:]), "admitted"),
        _hostile("Arabic-Indic digits", good_line(id_number="١١٠١٠٥١٩٧٠٠١٠١٠٠١١")),
        _hostile("an impossible birth date", good_line(id_number="110105197002300014")),
        _hostile("an empty ID number", good_line(id_number="")),
    ]))
    out.append(_batch("credit-codes", [
        _hostile("a wrong check character", good_line(credit_code="91110000000000001J")),
        _hostile("17 characters", good_line(credit_code="91110000000000001")),
        _hostile("19 characters", good_line(credit_code="91110000000000001HH")),
        _hostile("full-width characters (folded to ASCII, the same code)", good_line(
            credit_code=good_line()["credit_code"].translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})),
            "admitted"),
        _hostile("a letter GB 32100 does not use", good_line(credit_code="9111000000000000IO")),
    ]))
    out.append(_batch("temperatures", [
        _hostile("NaN", _dump(good_line(temperatures=[0])).replace(b'"temperatures": [0]', b'"temperatures": [NaN]')),
        _hostile("Infinity",
                 _dump(good_line(temperatures=[0])).replace(b'"temperatures": [0]', b'"temperatures": [Infinity]')),
        _hostile("-Infinity",
                 _dump(good_line(temperatures=[0])).replace(b'"temperatures": [0]', b'"temperatures": [-Infinity]')),
        _hostile("a reading as text", good_line(temperatures=["37.5"])),
        _hostile("-1000 °C, then no re-measure", good_line(temperatures=[-1000]), "abandoned"),
        _hostile("1e308 °C (no reading is over 1,000)", good_line(temperatures=[1e308])),
        _hostile("no reading", good_line(temperatures=[])),
        _hostile("a reading as true", good_line(temperatures=[True])),
    ], policy="miyun-2020"))
    out.append(_batch("session-codes", [
        _hostile("a trailing newline", good_line(session="MY-2026-118\n")),
        _hostile("200 characters", good_line(session="MY-" + "1" * 197)),
        _hostile("markup", good_line(session="<script>alert(1)</script>")),
        _hostile("a trailing space", good_line(session="MY-2026-118 ")),
        _hostile("full-width letters", good_line(session="ＭＹ-2026-118")),
        _hostile("an empty code", good_line(session="")),
    ]))
    out.append(_batch("overrides", [
        _hostile("an override as a list", good_line(override=["hall_full", "原因", "李强"])),
        _hostile("an override as text", good_line(override="hall_full")),
        _hostile("an override without supervisor", good_line(override={"release": "hall_full", "reason": "原因"})),
        _hostile("an override with a blank reason",
                 good_line(override={"release": "hall_full", "reason": "  ", "supervisor": "李强"})),
        _hostile("an override with an unknown key",
                 good_line(override={"release": "hall_full", "reason": "原因", "supervisor": "李强", "x": "1"})),
        _hostile("an override with a number",
                 good_line(override={"release": 1, "reason": "原因", "supervisor": "李强"})),
        _hostile("an override releasing nothing that was refused",
                 good_line(override={"release": "no_such_reason", "reason": "原因", "supervisor": "李强"})),
        _hostile("an override nested deep", good_line(override={"release": {"a": {"b": {"c": "hall_full"}}}})),
    ]))
    fields = ["session", "role", "name", "id_number", "document_kind", "company", "credit_code", "phone", "at",
              "key_area", "mask", "temperatures", "answers", "declaration", "health_code", "test_at",
              "test_negative", "hall", "replaces", "reason", "override", "exit"]
    for field in fields:
        cases = []
        for kind, value in WRONG_TYPES.items():
            if field == "exit":
                line = {"exit": value, "at": "2026-11-23T09:00:00+08:00"}
            else:
                line = good_line(**{field: value})
            if field == "key_area" and kind == "bool":
                line = good_line(key_area=5.5)  # true is the field's own type: a fraction instead
                kind = "fraction"  # noqa: PLW2901 - the case is named after what it holds
            if field == "test_negative" and kind == "bool":
                line = good_line(test_negative="true")
                kind = "text"  # noqa: PLW2901
            outcome = "admitted" if kind == "null" and field in NULL_IS_ABSENT else "invalid"
            if field == "test_at" and kind == "null":  # no test at all: refused by the nucleic-test step
                outcome = "refused"
            cases.append(_hostile(f"{field} as {kind}", line, outcome))
        policy = "health-code" if field == "test_negative" else FIELD_POLICY.get(field, "badge-only")
        out.append(_batch(f"wrong-type-{field.replace('_', '-')}", cases, policy=policy))
    return out


# --- import -----------------------------------------------------------------------------------------------------

HEADER = ["场次编号", "项目名称", "开标时间", "开标室", "代理机构代码", "代理机构名称", "联系人", "联系电话",
          "电子邮箱", "预计人数"]
ROWS = [
    ["MY-2026-118", "密云区溪翁庄镇道路提级改造工程", "2026-11-23 09:30", "第一开标室", "ZX",
     "北京正信招标代理有限公司", "李娜", "13811112222", "bid@zhengxin.example", "8-14"],
    ["MY-2026-119", "密云区污水管网改造工程（二期）", "2026-11-23 10:00", "第二开标室", "HY",
     "北京华宇工程咨询有限公司", "王强", "13933334444", "", "6-10"],
]


def _csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _with(column: int, value: str) -> list[list[str]]:
    """The plan with the first row's cell ``column`` replaced."""
    rows = [HEADER, *[list(r) for r in ROWS]]
    rows[1][column] = value
    return rows


_FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def _stable_zip(data: bytes) -> bytes:
    """The zip archive again, with fixed member times, so the same workbook is the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving as "modified"
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME), data,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _xlsx(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    stamp = dt.datetime(2026, 1, 1)  # noqa: DTZ001 - workbook properties hold naive times
    book.properties.created = book.properties.modified = stamp
    out = io.BytesIO()
    book.save(out)
    return _stable_zip(out.getvalue())


def _zip_of(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME), data)
    return out.getvalue()


def import_files() -> list[dict[str, Any]]:
    """Every day-plan file with its expectations: ``accepted`` true (exit 0) or false (exit 1, nothing kept)."""
    plan = _csv_text([HEADER, *ROWS])
    formula = "=cmd|' /C calc'!A0"
    cases: list[tuple[str, str, bytes, list[str], bool | None]] = [
        ("GB18030 text", "gb18030.csv", plan.encode("gb18030"), [], True),
        ("UTF-16 with BOM, tab-separated (Excel's Unicode text)", "utf16.txt",
         _csv_text([HEADER, *ROWS], "\t").encode("utf-16"), [], True),
        ("UTF-16 without BOM", "utf16-no-bom.csv", plan.encode("utf-16-le"), [], False),
        ("UTF-8 with BOM", "utf8-bom.csv", plan.encode("utf-8-sig"), [], True),
        ("two BOMs", "two-boms.csv", ("\ufeff" + plan).encode("utf-8-sig"), [], False),
        ("a zip of a CSV named .xlsx", "renamed-zip.xlsx", _zip_of("场次.csv", plan.encode()), [], False),
        ("a workbook named .csv", "workbook.csv", _xlsx([HEADER, *ROWS]), [], False),
        ("a zip named .csv", "zip.csv", _zip_of("场次.csv", plan.encode()), [], False),
        ("an empty .csv", "empty.csv", b"", [], False),
        ("an empty .xlsx", "empty.xlsx", b"", [], False),
        ("a workbook cut in half", "truncated.xlsx", _xlsx([HEADER, *ROWS])[:2000], [], False),
        ("only a header", "header-only.csv", _csv_text([HEADER]).encode(), [], False),
        ("a 1 MB project name", "huge-cell.csv", _csv_text(_with(1, "工" * 350_000)).encode(), [], False),
        ("an unpaired quote running to the end of a 1 MB file", "unpaired-quote.csv",
         (plan + 'MY-2026-120,"' + "x" * 1_000_000 + "\r\n").encode(), [], False),
        ("NUL bytes", "nul.csv", plan.replace("李娜", "李\x00娜").encode(), [], False),
        ("binary noise", "noise.csv", hashlib.sha512(b"noise").digest() * 64, [], False),
        ("formula cells in project, agency and contact", "formula.csv",
         _csv_text([HEADER, [ROWS[0][0], formula, *ROWS[0][2:5], "+1+1", "@SUM(A1)", *ROWS[0][7:]]]).encode(),
         [], None),
        ("a formula in a workbook's cells", "formula.xlsx",
         _xlsx([HEADER, [ROWS[0][0], formula, *ROWS[0][2:5], "=HYPERLINK(\"http://x.example\",\"点击\")",
                         *ROWS[0][6:]]]), [], None),
        ("U+202E in the hall", "bidi-hall.csv", _csv_text(_with(3, "\u202e室标开一第")).encode(),
         ["--policy", "badge-only"], False),
        ("U+202E in a workbook's hall", "bidi-hall.xlsx", _xlsx(_with(3, "第一\u202e开标室")),
         ["--policy", "badge-only"], False),
        ("U+2066 and U+2069 around the project", "isolate-project.csv",
         _csv_text(_with(1, "\u2066密云区道路工程\u2069")).encode(), ["--policy", "badge-only"], False),
        ("ESC in the agency's name", "esc-agency.csv", _csv_text(_with(5, "北京\x1b[31m正信")).encode(), [], False),
        ("markup in the project", "markup-project.csv",
         _csv_text(_with(1, "<script>alert(1)</script>")).encode(), [], False),
        ("a session code with a trailing newline", "newline-code.csv",
         _csv_text(_with(0, "MY-2026-118\n")).encode(), [], True),
        ("year 9999 as the opening time", "year-9999.csv", _csv_text(_with(2, "9999-12-31 23:59")).encode(), [],
         None),
        ("a 5,000-digit expected attendance", "huge-number.csv", _csv_text(_with(9, "9" * 5_000)).encode(), [],
         False),
    ]
    out = []
    for case, name, data, args, accepted in cases:
        out.append({"file": _write(CORPUS / "import" / name, data), "case": case, "args": args,
                    "accepted": accepted})
    return out


# --- policy -----------------------------------------------------------------------------------------------------

PRESETS = Path(__file__).resolve().parents[2] / "tenderguard" / "presets"


def policy_files() -> list[dict[str, Any]]:
    """Every policy file with its expectation: ``valid`` true (exit 0), false (exit 1) or null (either)."""
    base = (PRESETS / "badge-only.toml").read_text(encoding="utf-8")
    miyun = (PRESETS / "miyun-2020.toml").read_text(encoding="utf-8")
    cases: list[tuple[str, str, bytes, bool | None]] = [
        ("the badge-only preset, unchanged", "preset.toml", base.encode(), True),
        ("an empty file", "empty.toml", b"", False),
        ("only a comment", "comment.toml", b"# nothing here\n", False),
        ("an array nested 100,000 deep", "nested-array.toml", (base + "deep = " + "[" * 100_000
                                                                 + "]" * 100_000 + "\n").encode(), False),
        ("an inline table nested 100,000 deep", "nested-table.toml",
         (base + "deep = " + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n").encode(), False),
        ("a dotted key 10,000 parts long", "dotted-key.toml", (base + ".".join(["a"] * 10_000) + " = 1\n").encode(),
         False),
        ("a quota of 2**64", "quota-2-64.toml", base.replace("bidder = 1", f"bidder = {2**64}").encode(), None),
        ("a 5,000-digit quota", "quota-huge.toml", base.replace("bidder = 1", "bidder = " + "9" * 5_000).encode(),
         False),
        ("a threshold of 1e400", "threshold-inf.toml", miyun.replace("threshold = 37.3", "threshold = 1e400").encode(),
         False),
        ("a threshold of nan", "threshold-nan.toml", miyun.replace("threshold = 37.3", "threshold = nan").encode(),
         False),
        ("a threshold of -inf", "threshold-minus-inf.toml",
         miyun.replace("threshold = 37.3", "threshold = -inf").encode(), False),
        ("a threshold as text", "threshold-text.toml", miyun.replace("threshold = 37.3", 'threshold = "37.3"').encode(),
         False),
        ("a name as a number", "name-number.toml", base.replace('name = "badge-only"', "name = 5").encode(), False),
        ("steps as text", "steps-text.toml", b'name = "x"\nsteps = "confirm"\n', False),
        ("quotas as a list", "quotas-list.toml", base.replace("[quotas]\nbidder = 1\ntenderer = 2\nagency = 3",
                                                              "quotas = [1, 2, 3]").encode(), False),
        ("a quota as a date", "quota-date.toml", base.replace("bidder = 1", "bidder = 2026-11-23").encode(), False),
        ("a negative quota", "quota-negative.toml", base.replace("bidder = 1", "bidder = -1").encode(), False),
        ("retention days as a fraction", "retention-fraction.toml",
         base.replace("health_data_days = 7", "health_data_days = 7.5").encode(), False),
        ("an unknown top-level key", "unknown-key.toml", (base + "\nunknown = 1\n").encode(), False),
        ("an unknown step key", "unknown-step-key.toml",
         base.replace('label = "登记核验身份"', 'label = "登记核验身份"\nsurprise = true').encode(), False),
        ("an unknown step kind", "unknown-step-kind.toml",
         base.replace('kind = "confirm"', 'kind = "teleport"').encode(), False),
        ("a GBK-encoded file", "gbk.toml", base.encode("gbk"), False),
        ("a UTF-16 file", "utf16.toml", base.encode("utf-16"), False),
        ("a lone 0xFF byte", "ff-byte.toml", base.replace("登记", "\udcff登记").encode("utf-8", "surrogateescape"),
         False),
        ("NUL in a label", "nul-label.toml", base.replace("登记核验身份", "登记\\u0000核验身份").encode(), None),
        ("U+202E in the title", "bidi-title.toml", base.replace("登记入场", "登记\\u202e入场").encode(), None),
        ("not TOML", "not-toml.toml", b"{\"name\": \"badge-only\"}\n", False),
        ("binary noise", "noise.toml", hashlib.sha512(b"noise").digest() * 16, False),
    ]
    out = []
    for case, name, data, valid in cases:
        out.append({"file": _write(CORPUS / "policy" / name, data), "case": case, "valid": valid})
    return out


# --- badge codes and revocation lists ---------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signed_raw(body: bytes, key: Ed25519PrivateKey = CENTRE_KEY) -> str:
    """A code over any claim bytes, with a right check and a right signature: only the claim itself is wrong."""
    check = hashlib.sha256(body).digest()[:6]
    return f"TG1.{_b64(body)}.{_b64(check)}.{_b64(key.sign(b'TG1.' + body))}"


def code_files() -> list[dict[str, Any]]:
    """The valid control code (exit 0) and the hostile codes (exit 5 or 1, never 0), one per line."""
    valid = sign_claim(BadgeClaim(centre="MY", serial="MY-20261123-0001", day=DAY), CENTRE_KEY)
    head, signature = valid.rsplit(".", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    respelt = head + "." + signature[:-1] + alphabet[alphabet.index(signature[-1]) ^ 1]
    parts = valid.split(".")
    hostile: list[tuple[str, bytes]] = [
        ("forged: signed with another key",
         sign_claim(BadgeClaim(centre="MY", serial="MY-20261123-0001", day=DAY), OTHER_KEY).encode()),
        ("altered: another serial, the old check", (
            f"TG1.{_b64(b'MY|MY-20261123-0002|20261123|0')}.{parts[2]}.{parts[3]}").encode()),
        ("altered: another serial, its check recomputed, the old signature", (
            f"TG1.{_b64(b'MY|MY-20261123-0002|20261123|0')}."
            f"{_b64(hashlib.sha256(b'MY|MY-20261123-0002|20261123|0').digest()[:6])}.{parts[3]}").encode()),
        ("another centre's claim", sign_claim(BadgeClaim(centre="XX", serial="XX-20261123-0001", day=DAY),
                                              CENTRE_KEY).encode()),
        ("another day", sign_claim(BadgeClaim(centre="MY", serial="MY-20261122-0001", day=DAY - dt.timedelta(1)),
                                   CENTRE_KEY).encode()),
        ("year 9999", sign_claim(BadgeClaim(centre="MY", serial="MY-99991231-0001", day=dt.date(9999, 12, 31)),
                                 CENTRE_KEY).encode()),
        ("truncated by one character", valid[:-1].encode()),
        ("truncated to the claim", ".".join(parts[:2]).encode()),
        ("truncated to the prefix", b"TG1."),
        ("the prefix alone, no dot", b"TG1"),
        ("an empty code", b""),
        ("re-spelt base64 (the same signature bytes)", respelt.encode()),
        ("base64 padding added", (valid + "==").encode()),
        ("standard base64 alphabet", valid.replace("-", "+").replace("_", "/").encode()),
        ("a lower-case prefix", ("tg1" + valid[3:]).encode()),
        ("a fifth part", (valid + ".AAAA").encode()),
        ("a leading dash (an option name)", b"--help"),
        ("a leading dash before a code", ("-" + valid).encode()),
        ("401 characters", ("TG1." + "A" * 397).encode()),
        ("100,000 characters", ("TG1." + "A" * 99_996).encode()),
        ("the code twice", (valid + valid).encode()),
        ("ESC inside", (valid[:10] + "\x1b[2J" + valid[10:]).encode()),
        ("DEL inside", (valid[:10] + "\x7f" + valid[10:]).encode()),
        ("a tab inside", (valid[:10] + "\t" + valid[10:]).encode()),
        ("U+202E inside", (valid[:10] + "\u202e" + valid[10:]).encode()),
        ("U+2028 inside", (valid[:10] + "\u2028" + valid[10:]).encode()),
        ("U+2028 after the code", (valid + "\u2028").encode()),
        ("a no-break space after the code", (valid + "\u00a0").encode()),
        ("an ideographic space before the code", ("\u3000" + valid).encode()),
        ("full-width letters", valid.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}).encode()),
        ("an emoji claim", ("TG1." + _b64("😀".encode()) + "." + parts[2] + "." + parts[3]).encode()),
        ("emoji only", "😀😀😀".encode()),
        ("emoji between the parts", valid.replace(".", "😀", 1).encode()),
        ("bytes that are not UTF-8", valid.encode()[:12] + b"\xff\xfe" + valid.encode()[12:]),
        ("a signed claim of bytes that are not ASCII", _signed_raw(b"MY|MY-20261123-0001|20261123|0\xff").encode()),
        ("a signed claim of three fields", _signed_raw(b"MY|MY-20261123-0001|20261123").encode()),
        ("a signed claim with a huge reprint", _signed_raw(b"MY|MY-20261123-0001|20261123|" + b"9" * 40).encode()),
        ("a signed claim with a negative reprint", _signed_raw(b"MY|MY-20261123-0001|20261123|-1").encode()),
        ("a signed claim with day 0", _signed_raw(b"MY|MY-20261123-0001|00000000|0").encode()),
        ("a signed claim with markup as serial", _signed_raw(b"MY|<b>x</b>|20261123|0").encode()),
        ("a signed empty claim", _signed_raw(b"").encode()),
    ]
    (CORPUS / "codes").mkdir(parents=True, exist_ok=True)
    public = CENTRE_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    (CORPUS / "codes" / "badge-signing.pub").write_bytes(public)
    (CORPUS / "codes" / "valid.txt").write_bytes(valid.encode() + b"\n")
    assert all(b"\n" not in code and b"\r" not in code and b"\x00" not in code for _, code in hostile)
    file = _write(CORPUS / "codes" / "hostile.txt", b"\n".join(code for _, code in hostile) + b"\n")
    return [{"file": file, "cases": [case for case, _ in hostile], "valid": "codes/valid.txt",
             "public_key": "codes/badge-signing.pub"}]


def _signed_list(body: Any, key: Ed25519PrivateKey = CENTRE_KEY) -> bytes:
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps({"list": body, "signature": _b64(key.sign(canonical))}, ensure_ascii=False,
                      indent=1).encode()


def revocation_files() -> list[dict[str, Any]]:
    """The valid control list (exit 0) and the hostile lists (exit 1, one line)."""
    body: dict[str, Any] = {"centre": "MY", "day": DAY.isoformat(), "sequence": 3, "revoked": {},
                            "reprints": {}, "signed_at": "2026-11-23T08:00:00+08:00"}
    good = _signed_list(body)
    signature = json.loads(good)["signature"]
    cases: list[tuple[str, str, bytes]] = [
        ("not JSON", "not-json.json", b"revoked: MY-20261123-0001\n"),
        ("an empty file", "empty.json", b""),
        ("JSON null", "null.json", b"null"),
        ("a JSON array", "array.json", b"[]"),
        ("a JSON number", "number.json", b"3"),
        ("an array nested 200,000 deep", "nested-array.json", b"[" * 200_000 + b"]" * 200_000),
        ("a list body nested 100,000 deep", "nested-body.json",
         b'{"list": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b', "signature": "AAAA"}'),
        ("a 5,000-digit sequence", "huge-sequence.json",
         good.replace(b'"sequence": 3', b'"sequence": ' + b"9" * 5_000)),
        ("signed by another key", "other-key.json", _signed_list(body, OTHER_KEY)),
        ("a signature that is not base64", "signature-not-base64.json",
         good.replace(signature.encode(), b"not base64!")),
        ("a signature re-spelt with padding", "signature-padded.json",
         good.replace(signature.encode(), signature.encode() + b"==")),
        ("a revoked serial added after signing", "edited.json",
         good.replace(b'"revoked": {}', b'"revoked": {"MY-20261123-0001": "x"}')),
        ("no signature", "no-signature.json", json.dumps({"list": body}).encode()),
        ("the signature as a number", "signature-number.json", json.dumps({"list": body, "signature": 5}).encode()),
        ("the list as text", "list-text.json", json.dumps({"list": "MY", "signature": signature}).encode()),
        ("bytes that are not UTF-8", "not-utf8.json", good.replace(b'"MY"', b'"\xff\xfe"', 1)),
        ("UTF-16", "utf16.json", good.decode().encode("utf-16")),
        ("a lone surrogate, signed", "surrogate.json",
         _signed_list(body | {"revoked": {"MY-20261123-0002": "x"}}).replace(b'"x"', b'"\\ud800"')),
    ]
    wrong_types: list[tuple[str, str, Any]] = [
        ("the sequence as text", "sequence-text", {"sequence": "3"}),
        ("a negative sequence", "sequence-negative", {"sequence": -1}),
        ("the sequence as true", "sequence-bool", {"sequence": True}),
        ("the sequence as a fraction", "sequence-fraction", {"sequence": 3.5}),
        ("the day as a number", "day-number", {"day": 20261123}),
        ("the day as null", "day-null", {"day": None}),
        ("a day that does not exist", "day-invalid", {"day": "2026-02-30"}),
        ("revoked as a list", "revoked-list", {"revoked": ["MY-20261123-0001"]}),
        ("revoked as text", "revoked-text", {"revoked": "MY-20261123-0001"}),
        ("a reprint as text", "reprints-text", {"reprints": {"MY-20261123-0001": "two"}}),
        ("a reprint as a list", "reprints-list", {"reprints": {"MY-20261123-0001": [1]}}),
        ("a reprint of 5,000 digits as text", "reprints-huge", {"reprints": {"MY-20261123-0001": "9" * 5_000}}),
        ("signed_at without zone", "signed-at-naive", {"signed_at": "2026-11-23T08:00:00"}),
        ("signed_at as a number", "signed-at-number", {"signed_at": 1}),
        ("signed_at in year 1", "signed-at-year-1", {"signed_at": "0001-01-01T00:00:00+08:00"}),
        ("the centre as a number", "centre-number", {"centre": 5}),
        ("the centre missing", "centre-missing", {"centre": ...}),
    ]
    for case, name, change in wrong_types:
        changed = {k: v for k, v in (body | change).items() if v is not ...}
        cases.append((f"signed, {case}", f"{name}.json", _signed_list(changed)))
    out = [{"file": _write(CORPUS / "revocations" / "valid.json", good), "case": "the control: a valid list",
            "valid": True}]
    for case, name, data in cases:
        out.append({"file": _write(CORPUS / "revocations" / name, data), "case": case, "valid": False})
    return out


def main() -> None:
    """Write the corpus afresh, then ``expected.json``."""
    for folder in ("batch", "import", "policy", "codes", "revocations"):
        shutil.rmtree(CORPUS / folder, ignore_errors=True)
    expected = {"batch": batch_files(), "import": import_files(), "policy": policy_files(), "codes": code_files(),
                "revocations": revocation_files()}
    (CORPUS / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")


if __name__ == "__main__":
    main()
