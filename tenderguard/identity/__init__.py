"""Identity documents, credit codes, phones and names: validation, normalisation, masking, matching keys.

The package is laid out as:

* :mod:`tenderguard.identity.documents` — resident IDs, HMT residence permits, passports and other documents;
* :mod:`tenderguard.identity.organisations` — unified social credit codes and company names;
* :mod:`tenderguard.identity.registrations` — Hong Kong, Macao, Taiwan and foreign registration numbers;
* :mod:`tenderguard.identity.text` — names, mobile numbers, free text and masking;
* :mod:`tenderguard.identity.hashes` — keyed hashes that match a document or a phone without storing it.

Everything is imported from here: ``from tenderguard.identity import parse_document, mask_name``.
"""

from __future__ import annotations

from tenderguard.identity.documents import (
    DocumentKind,
    IdentityDocument,
    mask_document_number,
    parse_document,
    resident_id_check_digit,
)
from tenderguard.identity.hashes import key_fingerprint, person_key, phone_key
from tenderguard.identity.organisations import (
    company_key,
    credit_code_check_char,
    normalise_company_name,
    validate_credit_code,
)
from tenderguard.identity.registrations import REGISTRATION_KINDS, validate_organisation_id
from tenderguard.identity.text import (
    clean_text,
    mask_name,
    mask_phone,
    normalise_business_phone,
    normalise_mobile,
    same_name,
    validate_person_name,
)

__all__ = [
    "REGISTRATION_KINDS",
    "DocumentKind",
    "IdentityDocument",
    "clean_text",
    "company_key",
    "credit_code_check_char",
    "key_fingerprint",
    "mask_document_number",
    "mask_name",
    "mask_phone",
    "normalise_business_phone",
    "normalise_company_name",
    "normalise_mobile",
    "parse_document",
    "person_key",
    "phone_key",
    "resident_id_check_digit",
    "same_name",
    "validate_credit_code",
    "validate_organisation_id",
    "validate_person_name",
]
