"""Documents: the Jinja environment, the safe URL fetcher, the CJK font and its coverage check, badges as PDF.

Everything printed goes through one Jinja environment (autoescape, ``StrictUndefined``), one URL fetcher that
loads only the templates folder, and one font checked for every character before rendering. Import from the
modules: ``badges`` (cards and sheets), ``environment``, ``fetcher``, ``fonts`` (what WeasyPrint prints with),
``glyphs`` (which characters the font draws, without WeasyPrint), ``printable`` (what a badge prints for a
name, a company, a hall), ``pdf``, ``qr``, ``text``; this package itself loads nothing, so a desk that only
asks whether a name prints never loads WeasyPrint.
"""
