"""Font subsetting with HarfBuzz (``libharfbuzz-subset``, the library WeasyPrint itself subsets with), via ctypes.

WeasyPrint reads the whole font file of every face it prints with into memory, for every document: 20 MB for
each face of the Noto Sans CJK collection, about 40 MB of peak memory a face with the mapped file. Printing
with a small subset of the face instead (the characters of the batch plus the common ones, see
:mod:`tenderguard.render.fonts`) keeps a worker process well under 200 MB and halves the PDF. Without the
library, :func:`subset_face` returns None and documents print with the installed font directly.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["subset_face", "subsetting_available"]

#: ``HB_SUBSET_FLAGS_NO_HINTING``: hinting instructions are useless in print.
_NO_HINTING = 0x1
_P = ctypes.c_void_p


@functools.cache
def _harfbuzz_subset() -> ctypes.CDLL | None:
    """The HarfBuzz subset library with the signatures used here, or None when it cannot be loaded."""
    name = ctypes.util.find_library("harfbuzz-subset") or "libharfbuzz-subset.so.0"
    try:
        hb = ctypes.CDLL(name)
        signatures: dict[str, tuple[Any, list[Any]]] = {
            "hb_blob_create_from_file_or_fail": (_P, [ctypes.c_char_p]),
            "hb_face_create": (_P, [_P, ctypes.c_uint]),
            "hb_subset_input_create_or_fail": (_P, []),
            "hb_subset_input_unicode_set": (_P, [_P]),
            "hb_set_add": (None, [_P, ctypes.c_uint32]),
            "hb_subset_input_set_flags": (None, [_P, ctypes.c_uint]),
            "hb_subset_or_fail": (_P, [_P, _P]),
            "hb_face_reference_blob": (_P, [_P]),
            "hb_blob_get_data": (_P, [_P, ctypes.POINTER(ctypes.c_uint)]),
            "hb_blob_destroy": (None, [_P]),
            "hb_face_destroy": (None, [_P]),
            "hb_subset_input_destroy": (None, [_P]),
        }
        for function, (restype, argtypes) in signatures.items():
            symbol = getattr(hb, function)
            symbol.restype = restype
            symbol.argtypes = argtypes
    except (OSError, AttributeError):  # no library, or one older than HarfBuzz 3.0
        return None
    return hb


def subsetting_available() -> bool:
    """Whether HarfBuzz's subsetter can be used."""
    return _harfbuzz_subset() is not None


def subset_face(path: Path, index: int, code_points: Iterable[int]) -> bytes | None:
    """A font holding only the glyphs of ``code_points`` from face ``index`` of ``path``; None if it cannot be made."""
    hb = _harfbuzz_subset()
    if hb is None:
        return None
    blob = hb.hb_blob_create_from_file_or_fail(str(path).encode())
    if not blob:
        return None
    font = hb.hb_face_create(blob, index)
    request = hb.hb_subset_input_create_or_fail()
    result = subset = None
    try:
        if not request:
            return None
        unicodes = hb.hb_subset_input_unicode_set(request)
        for code_point in code_points:
            hb.hb_set_add(unicodes, code_point)
        hb.hb_subset_input_set_flags(request, _NO_HINTING)
        subset = hb.hb_subset_or_fail(font, request)
        if not subset:
            return None
        result = hb.hb_face_reference_blob(subset)
        length = ctypes.c_uint(0)
        data = hb.hb_blob_get_data(result, ctypes.byref(length))
        return ctypes.string_at(data, length.value) if data and length.value else None
    finally:
        if result:
            hb.hb_blob_destroy(result)
        if subset:
            hb.hb_face_destroy(subset)
        if request:
            hb.hb_subset_input_destroy(request)
        hb.hb_face_destroy(font)
        hb.hb_blob_destroy(blob)
