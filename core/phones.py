"""Phone numbers: E.164 in storage, Russian format on screen, masked in logs."""

import functools
import re

import phonenumbers

# What Twilio sends in `From` when the caller withheld their number.
WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "+266696687", "+7266696687"}


def normalize(raw: str | None, region: str = "RU") -> str | None:
    """Return the number in E.164, or None when it is not a valid number."""
    if raw is None:
        return None
    raw = str(raw).strip()
    if raw.lower() in WITHHELD or len(raw) > 40:
        return None
    return _normalize(raw, region)


@functools.lru_cache(maxsize=16384)
def _normalize(raw: str, region: str) -> str | None:
    """normalize's parsing, cached: every webhook step of a call normalizes its numbers."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str | None) -> str:
    """Format for people: +7 916 243-17-08; free-phone 8 800 (8 80x) numbers keep their 8."""
    if not e164:
        return "номер скрыт"
    try:
        parsed = phonenumbers.parse(e164, "RU")
    except phonenumbers.NumberParseException:
        return e164
    shown = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if _is_russian_free_phone(parsed):
        return "8 " + shown.removeprefix("+7 ")
    return shown


def _is_russian_free_phone(parsed: phonenumbers.PhoneNumber) -> bool:
    """8 800 … and the other 8 80x numbers are written with 8 in Russia, never +7."""
    national = phonenumbers.national_significant_number(parsed)
    return parsed.country_code == 7 and national.startswith("80") and len(national) == 10


def tel_uri(number: str | None) -> str:
    """The tel: address of a number as stored or as shown («8 800 …» → tel:+7800…)."""
    e164 = normalize(number) if number else None
    return f"tel:{e164}" if e164 else ""


def mask(e164: str | None) -> str:
    """Keep the country code and the last two digits: +7*******08."""
    if not e164:
        return "-"
    digits = e164.lstrip("+")
    return "+" + digits[:1] + "*" * max(len(digits) - 3, 0) + digits[-2:]


# A run of digits, spaces, dashes and brackets, not starting with an ISO date: a log line's
# «2026-11-23 06:30:00» is a moment, not a phone.
_PHONE_IN_TEXT = re.compile(r"(?<![\w*])(?!\d{4}-\d{2}-\d{2})\+?\d[\d\-\s()]{8,}\d(?!\w)")


def mask_in_text(text: str) -> str:
    """Mask every phone-like run of digits in free text (log lines)."""

    def repl(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) < 10:
            return match.group(0)
        return mask("+" + digits)

    return _PHONE_IN_TEXT.sub(repl, text)
