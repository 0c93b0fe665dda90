"""Refusal letters as A4 PDFs on the centre's letterhead, written next to their text files.

The PDF prints the blocks of the letter's text (:meth:`RefusalLetter.blocks`: title, 文号, addressee, paragraphs,
signature) through ``templates/letters/refusal.html``, so the two never say different things; it adds the
letterhead (the centre's name over a red rule), the stamp area (盖章处) and the issuer's line (签发人, 日期). It goes
through the shared PDF writer: template fetcher, font checked for every character, owner-only, complete or not
at all.
"""

from __future__ import annotations

from pathlib import Path

from tenderguard.errors import RenderError
from tenderguard.notices.refusals import RefusalLetter, RefusalNotice
from tenderguard.records.files import checked_target, write_private_text
from tenderguard.render.environment import render_template

__all__ = ["render_letter_html", "write_letter_pdf", "write_refusal_letters"]

#: A letter's text has at least a title, its 文号, the addressee, one paragraph and the signature.
_FEWEST_BLOCKS = 5


def render_letter_html(letter: RefusalLetter) -> str:
    """The letter as the HTML its PDF prints (``templates/letters/refusal.html``), autoescaped."""
    blocks = letter.blocks()
    if len(blocks) < _FEWEST_BLOCKS:
        raise RenderError(f"the {letter.recipient} letter has {len(blocks)} blocks, fewer than {_FEWEST_BLOCKS}",
                          hint="check the letter's template (title, 文号, addressee, paragraphs, signature)")
    title, reference, addressee, *paragraphs, signature = blocks
    return render_template(
        "letters/refusal.html", document_title=f"{title} {reference}", letterhead=letter.letterhead,
        reference=reference, title=title, addressee=addressee,
        paragraphs=["".join(p.split("\n")) for p in paragraphs], signature=signature.splitlines(),
    )


def write_letter_pdf(letter: RefusalLetter, out: Path | str) -> Path:
    """Write the letter as an A4 PDF to ``out`` (owner-only, complete or not at all); returns ``out``."""
    # WeasyPrint loads on demand: making the letters' text (or the CLI's help) does not pay for it.
    from tenderguard.render.pdf import write_pdf  # noqa: PLC0415

    return write_pdf(render_letter_html(letter), checked_target(Path(out)), folder="letters",
                     stylesheet="letter.css", fields=[("letterhead", letter.letterhead)])


def write_refusal_letters(notice: RefusalNotice, folder: Path | str) -> list[Path]:
    """Write each letter of the notice into ``folder`` as text and as PDF (owner-only); the paths written."""
    out = Path(folder)
    written: list[Path] = []
    for letter in notice.letters:
        written.append(write_private_text(out / letter.filename, letter.text))
        written.append(write_letter_pdf(letter, out / letter.pdf_filename))
    return written
