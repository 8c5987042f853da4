"""Masking of values that point at a person, shared by every command that shows data:
the identity reports (identity-report, identity-explain, identity-diff) and the samples
of rejected rows that `chorus load` prints."""

from __future__ import annotations

import re

# An email anywhere in a text (a value in the wrong column, a key in a message).
EMAIL_IN_TEXT = re.compile(r"[^\s'\",;:()<>\[\]@]+@[^\s'\",;:()<>\[\]@]+")
# A phone number written with its country code (+33 6 45 84 56 92, +1-555-123-4567).
INTERNATIONAL_PHONE = re.compile(r"^\+[0-9][0-9 ().\-/]{5,}$")


def mask(value: str) -> str:
    """Keep enough of an identifier to recognise it in a report, not to reuse it."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:2]}***@{domain}"
    return value[:3] + "***" + value[-2:] if len(value) > 6 else value[:1] + "***"


def looks_personal(value: str) -> bool:
    """An email or an international phone number, whatever column it was found in."""
    value = value.strip()
    return "@" in value or bool(INTERNATIONAL_PHONE.match(value))


def mask_emails(text: str) -> str:
    """Every email-looking token of a free text masked (mask() leaves a masked email as
    it is, so this is safe to apply to text that is already masked)."""
    return EMAIL_IN_TEXT.sub(lambda m: mask(m.group(0)), text)
