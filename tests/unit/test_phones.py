import pytest

from core import phones


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+79161234567", "+79161234567"),
        ("89161234567", "+79161234567"),
        ("8 (916) 123-45-67", "+79161234567"),
        ("+7 495 000-00-19", "+74950000019"),
        ("83812650419", "+73812650419"),
        ("anonymous", None),
        ("", None),
        (None, None),
        ("12345", None),
        ("99999999999999999999999999999999999999999999999", None),
        ("not a number", None),
    ],
)
def test_normalize(raw, e164):
    assert phones.normalize(raw) == e164


def test_display_and_mask():
    assert phones.display("+79161234567") == "+7 916 123-45-67"
    assert phones.display(None) == "номер скрыт"
    assert phones.mask("+79161234567") == "+7********67"


def test_mask_in_text_leaves_short_numbers():
    text = "ticket 1234 from 8 916 123 45 67, class 5"
    masked = phones.mask_in_text(text)
    assert "ticket 1234" in masked and "class 5" in masked
    assert "916 123" not in masked


def test_mask_in_text_leaves_timestamps_and_masks_the_phone_beside_them():
    text = "2026-11-23 06:30:00 callback 12 planned 2026-11-30T09:00:00+03:00 for +7 916 123-45-67"
    masked = phones.mask_in_text(text)
    assert masked.startswith("2026-11-23 06:30:00 callback 12 planned 2026-11-30T09:00:00+03:00")
    assert "916 123" not in masked and masked.endswith("+7********67")


def test_mask_in_text_masks_a_phone_after_a_colon():
    assert phones.mask_in_text("from:+79161234567") == "from:+7********67"


@pytest.mark.parametrize(("e164", "shown"), [
    ("+78001234567", "8 800 123-45-67"),  # free phone: written with 8 in Russia
    ("+78043338485", "8 804 333-84-85"),
    ("+79161234567", "+7 916 123-45-67"),
    ("+78124907033", "+7 812 490-70-33"),
])
def test_free_phone_numbers_keep_their_8(e164, shown):
    assert phones.display(e164) == shown
    assert phones.tel_uri(shown) == f"tel:{e164}"  # and dial as E.164 from any phone


def test_tel_uri_of_nothing_is_empty():
    assert phones.tel_uri(None) == "" and phones.tel_uri("номер скрыт") == ""
