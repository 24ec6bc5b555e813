"""Russian number words as the recognizer writes them."""

import pytest

from transcription.numbers import (
    Group,
    misheard_number_words,
    number_runs,
    number_word,
    ordinal,
    spoken_digits,
    words_to_number,
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("ноль", (0, "unit")),
        ("нуль", (0, "unit")),
        ("две", (2, "unit")),
        ("одна", (1, "unit")),
        ("десять", (10, "teen")),
        ("девятнадцать", (19, "teen")),
        ("сорок", (40, "ten")),
        ("девяносто", (90, "ten")),
        ("сто", (100, "hundred")),
        ("девятьсот", (900, "hundred")),
        ("Восемь", (8, "unit")),
        ("пятерка", None),
        ("пятый", None),
        ("тысяча", None),
    ],
)
def test_number_word(word, expected):
    assert number_word(word) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("сто сорок шесть", 146),
        ("триста ноль", None),
        ("семьсот двенадцать", 712),
        ("двадцать один", 21),
        ("ноль", 0),
        ("две тысячи двадцать четыре", 2024),
        ("тысяча девятьсот восемьдесят", 1980),
        ("э сорок ну два", 42),
        ("пять пять", None),
        ("двадцать двенадцать", None),
        ("пять сто", None),
        ("привет", None),
        ("", None),
    ],
)
def test_words_to_number(text, expected):
    assert words_to_number(text) == expected


def test_runs_compose_groups_as_a_listener_does():
    tokens = (
        "звоните восемь девятьсот э восемнадцать ну сто сорок шесть тридцать ноль девять".split()
    )
    (run,) = number_runs(tokens)
    assert [group.digits for group in run] == ["8", "918", "146", "30", "0", "9"]
    assert run[1] == Group("918", 2, 5)  # the filler inside the group is part of it


def test_runs_break_on_ordinary_words_not_on_fillers():
    tokens = "в восемь тридцать а потом ну двадцать пять минут ждали".split()
    runs = number_runs(tokens)
    assert [[group.digits for group in run] for run in runs] == [["8", "30"], ["25"]]


def test_runs_break_at_given_indices():
    tokens = "сорок два три".split()
    runs = number_runs(tokens, breaks=frozenset({1}))
    assert [[group.digits for group in run] for run in runs] == [["40"], ["3"]]


def test_runs_keep_digit_tokens():
    runs = number_runs(["телефон", "8", "916", "сто"])
    assert [group.digits for group in runs[0]] == ["8", "916", "100"]


def test_zero_and_teens_do_not_compose_with_tens():
    assert spoken_digits("тридцать ноль пять двадцать десять") == "30052010"


def test_spoken_digits_one_string_per_run():
    assert spoken_digits("девять ноль четыре и ещё двести два") == "904 202"


@pytest.mark.parametrize(
    ("word", "value", "tags"),
    [
        ("пятый", 5, ("masc", "nomn")),
        ("седьмого", 7, ("masc", "gent")),
        ("третьем", 3, ("masc", "loct")),
        ("во-втором", None, ()),
        ("втором", 2, ("neut", "loct")),
        ("второй", 2, ("masc", "nomn")),
        ("четвёртом", 4, ("masc", "loct")),
        ("одиннадцатый", 11, ("masc", "nomn")),
        ("первую", 1, ("femn", "accs")),
        ("пятница", None, ()),
        ("пятерка", None, ()),
    ],
)
def test_ordinal(word, value, tags):
    found = ordinal(word)
    if value is None:
        assert found is None
    else:
        assert found is not None and found.value == value
        assert found.allows(*tags)


def test_ordinal_feminine_forms_are_not_masculine():
    found = ordinal("первую")
    assert found is not None and not found.allows("masc")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("двесть", [(200, "hundred")]),
        ("семдесят", [(70, "ten")]),
        ("нальдва", [(0, "unit"), (2, "unit")]),
        ("двадцатьпять", [(20, "ten"), (5, "unit")]),
        ("семья", []),  # one letter from «семь», but short words are everyday words
        ("шерсть", []),
        ("пароль", []),
        ("десять", [(10, "teen")]),  # exact words are misheard by nobody, but still read
    ],
)
def test_misheard_number_words(word, expected):
    assert misheard_number_words(word) == expected


def test_misspelt_words_join_a_run_but_do_not_start_one():
    assert spoken_digits("двесть двадцать") == "20"
    assert spoken_digits("восемь двесть двадцать") == "8220"
    assert spoken_digits("девятьсот и шестьдесят один") == "961"


def test_written_tens_take_the_unit_that_follows():
    (run,) = number_runs("8 40 2 20 0 17".split())
    assert [group.digits for group in run] == ["8", "42", "20", "0", "17"]
