"""Phone number, class, topic and abuse from recognizer-style Russian text (our own sentences)."""

import ast
import json
import re
from pathlib import Path

import pytest

from core.catalogue import OTHER, TOPIC_KEYWORDS
from transcription.extract import Facts, extract, normalise_phone, tokenise
from transcription.understand import understand

ROOT = Path(__file__).resolve().parents[2]
OUR_TRANSCRIPTION_FILES = ("extract.py", "numbers.py", "understand.py")


def facts(text: str, **kwargs) -> Facts:
    return extract(text, TOPIC_KEYWORDS, **kwargs)


# --- phone numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 3-3-2-2 groups after «восемь»
        (
            "добрый вечер перезвоните мне восемь девятьсот двенадцать триста сорок пять шестьдесят семь восемьдесят девять",
            "+79123456789",
        ),
        # «плюс семь»
        (
            "мой телефон плюс семь девятьсот двадцать шесть сто один двадцать три сорок пять",
            "+79261012345",
        ),
        # digit by digit
        (
            "номер восемь девять ноль три семь семь один два три ноль ноль",
            "+79037712300",
        ),
        # ten digits, no prefix
        ("звоните девятьсот пятнадцать восемьсот ноль два одиннадцать двенадцать", "+79158000211"),
        # mixed: digits, then a hundred, then pairs
        (
            "восемь девять шесть семь пятьсот пятьдесят пять ноль ноль сорок",
            "+79675550040",
        ),
        # hesitations inside and between the groups
        (
            "позвоните э восемь девятьсот э шестнадцать ну двести вот тридцать ноль ноль сорок",
            "+79162300040",
        ),
        # a landline with its area code
        (
            "можно на рабочий восемь четыреста девяносто пять семьсот семьдесят семь десять двадцать",
            "+74957771020",
        ),
        (
            "рабочий телефон восемь три четыре три два двадцать два тридцать три сорок четыре",
            "+73432223344",
        ),
        # a landline without «восемь» after a cue
        ("телефон восемьсот двенадцать четыреста девяносто семьдесят тридцать три", "+78124907033"),
        # the number is the whole message
        ("восемь девятьсот пятьдесят ноль ноль ноль одиннадцать двадцать два", "+79500001122"),
    ],
)
def test_spoken_numbers(text, expected):
    assert facts(text).phone == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the last two digits restated
        (
            "телефон восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь ой нет последние две цифры семьдесят шесть",
            "+79161234576",
        ),
        # «последняя цифра»
        (
            "номер восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь извините последняя цифра восемь",
            "+79161234568",
        ),
        # «точнее» with the new ending only
        (
            "звоните восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь точнее шестьдесят девять",
            "+79161234569",
        ),
        # «не ... а ...»
        (
            "мой номер восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь ой не шестьдесят семь а семьдесят шесть",
            "+79161234576",
        ),
        # an unfinished number, then the corrected ending
        (
            "номер восемь девятьсот шестнадцать сто двадцать три сорок ой неправильно сорок пять шестьдесят семь",
            "+79161234567",
        ),
        # started again from the beginning
        (
            "телефон восемь девятьсот шестнадцать сто двадцать три сорок четыре ой нет подождите сначала восемь девятьсот шестнадцать сто двадцать три пятьдесят пять шестьдесят шесть",
            "+79161235566",
        ),
        # said twice
        (
            "перезвоните восемь девятьсот двадцать два триста тридцать три сорок четыре пятьдесят пять повторяю восемь девятьсот двадцать два триста тридцать три сорок четыре пятьдесят пять",
            "+79223334455",
        ),
    ],
)
def test_corrections_and_repeats(text, expected):
    assert facts(text).phone == expected


def test_number_a_caller_prefers_wins_over_the_first():
    text = (
        "рабочий восемь четыреста девяносто пять сто двадцать три сорок пять шестьдесят семь "
        "а лучше на мобильный восемь девятьсот шестьдесят один двести два ноль три ноль четыре"
    )
    assert facts(text).phone == "+79612020304"


def test_a_fallback_number_does_not_replace_the_first():
    text = (
        "звоните на сотовый восемь девятьсот шестьдесят один двести два ноль три ноль четыре "
        "а если не дозвонитесь то на домашний восемь четыреста девяносто пять сто двадцать три сорок пять шестьдесят семь"
    )
    assert facts(text).phone == "+79612020304"


def test_announced_number_wins_over_a_later_unannounced_one():
    text = (
        "перезвоните восемь девятьсот шестьдесят один двести два ноль три ноль четыре "
        "у сына в дневнике почему то написано девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"
    )
    assert facts(text).phone == "+79612020304"


def test_school_number_right_before_the_phone_is_dropped():
    text = "гимназия номер двадцать восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"
    assert facts(text).phone == "+79161234567"


def test_a_count_after_a_retraction_is_not_a_correction():
    text = (
        "перезвоните восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь "
        "нет ну вот уже двадцать минут не могу дозвониться"
    )
    assert facts(text).phone == "+79161234567"


@pytest.mark.parametrize(
    "text",
    [
        "перезвоните пожалуйста на этот номер",
        "оценка за диктант от двадцать третьего сентября стоит два а должна быть пять",
        "в четверти у сына пять четыре четыре пять три а итог четыре",
        "жду уже сорок пять минут третий раз звоню",
        "урок начинается в восемь тридцать а заканчивается в девять пятнадцать",
        "номер заявки триста двенадцать сорок пять от пятого числа",
        "почта иван точка петров девяносто девять собака яндекс точка ру",
        "школа номер сто двадцать семь кабинет двести четыре",
        "в две тысячи двадцать четвертом году мы переехали",
        "у нас в классе двадцать восемь человек и тридцать один учебник",
        "код из смс четыре пять девять один два семь не подходит",
    ],
)
def test_numbers_that_are_not_phones(text):
    assert facts(text).phone is None


def test_seven_digit_city_number_without_area_code_is_not_guessed():
    assert facts("телефон двести тридцать один сорок пять шестьдесят семь").phone is None


def test_invalid_numbers_are_rejected():
    # a Kazakh +7 7xx number and a free-phone 8 800 number are not Russian callback numbers
    assert (
        facts("звоните плюс семь семьсот один двести три сорок пять шестьдесят семь").phone is None
    )
    assert (
        facts("звоните восемь восемьсот сто двадцать три сорок пять шестьдесят семь").phone is None
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+79161234567", "+79161234567"),
        ("89161234567", "+79161234567"),
        ("79161234567", "+79161234567"),
        ("9161234567", "+79161234567"),
        ("8 (495) 123-45-67", "+74951234567"),
        ("+7 916 123 45 67", "+79161234567"),
        ("+89161234567", None),
        ("88001234567", None),  # free phone: not a mobile or a landline
        ("+77012345678", None),  # Kazakhstan shares +7
        ("916123456", None),
        ("1234567890", None),
        ("", None),
    ],
)
def test_normalise_phone(raw, expected):
    assert normalise_phone(raw) == expected


# --- class ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("у меня сын учится в шестом бэ", "6Б"),
        ("дочь в восьмом а и у неё не видно оценок", "8А"),
        ("внучка ходит в десятый класс", "10"),
        ("это мама ученика второго гэ класса", "2Г"),
        ("ученица четвёртого дэ", "4Д"),
        ("сын третьеклассник", "3"),
        ("у нас первоклашка", "1"),
        ("ребенок в одиннадцатом классе выпускной год", "11"),
        ("сын в седьмом в в электронном дневнике пусто", "7В"),
        ("дочка девятый в по истории нет оценок", "9В"),
        ("у сына пятый вэ", "5В"),
        ("у сына восьмой в урок не отметили", "8В"),
        ("классный руководитель шестого а", "6А"),
        ("у ребенка 5 б", "5Б"),
        ("ребенок 7в класс", "7В"),
        ("сын в пятом классе бэ", "5Б"),
        # Whisper's way of writing them: digits, digit ordinals, and «бэ» heard as «бы».
        ("У меня дочь учится в 5 Б классе.", "5Б"),
        ("Сын в 5б, не видно оценок.", "5Б"),
        ("Сын пятый б, оценок нет.", "5Б"),
        ("Ребёнок в 7-м классе, пропали оценки.", "7"),
        ("Дочь учится во 2-м А, не видно домашнего задания.", "2А"),
        ("У сына 11-й класс, экзамены скоро.", "11"),
        ("Это мама ученицы 10-го класса.", "10"),
        ("Отец ученика 8-го б класса.", "8Б"),
        ("У меня дочка учится в пятом, бы не могу зайти в дневник.", "5Б"),
        ("Мама ученика седьмого вы класса.", "7В"),
    ],
)
def test_class(text, expected):
    assert facts(text).klass == expected


@pytest.mark.parametrize(
    "text",
    [
        "уведомления приходят в пятом часу утра",
        "во втором полугодии оценки не выставлены",
        "я звоню уже третий раз",
        "к первому уроку никто не пришёл",
        "за первую четверть нет итоговых",
        "прогул стоит десятого марта",
        "это уже второй а толку никакого",
        "первоклассный у вас сервис",
        "в пятом и шестом часу",
        "Приходите в 5-м кабинете к 9-му часу.",
        "Я бы хотела узнать, звоню уже в 3-й раз.",
        "Это 7-я школа.",
    ],
)
def test_ordinals_that_are_not_classes(text):
    assert facts(text).klass is None


def test_preposition_v_after_a_class_is_not_a_letter():
    assert facts("сын учится в пятом в школе номер три").klass == "5"


# --- topic ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("не могу войти пишет неверный пароль", "login"),
        ("забыла логин от учётной записи", "login"),
        ("через гос услуги не пускает", "login"),
        ("в дневнике пропали отметки за неделю", "grades"),
        ("почему у дочки средний балл три и две двойки", "grades"),
        ("сыну поставили пропуски а он болел у нас справка", "attendance"),
        ("отметили опоздание хотя он пришёл вовремя", "attendance"),
        ("в расписании на завтра стоят не те уроки", "schedule"),
        ("не видно домашних заданий по физике", "schedule"),
        ("как загрузить календарно тематическое планирование", "lesson_planning"),
        ("не получается импортировать ктп из файла", "lesson_planning"),
        ("не могу провести урок тема не сохраняется", "lessons"),
        ("отчёт о посещаемости за месяц не формируется", "reports"),
        ("нужен отчёт по успеваемости класса", "reports"),
        ("я новый сотрудник нужно обучение работе с журналом", "training"),
        ("у меня другой вопрос", "other"),
    ],
)
def test_topic(text, expected):
    assert facts(text).topic == expected


def test_topic_uses_lemmas_not_raw_strings():
    # no keyword is written in these forms
    assert facts("оценками оценкам оценках").topic == "grades"
    assert facts("расписанием").topic == "schedule"


def test_topic_is_none_or_the_default_when_nothing_matches():
    assert facts("алло вы меня слышите").topic is None
    assert facts("алло вы меня слышите", default_topic=OTHER).topic == OTHER


def test_topic_takes_any_mapping_of_keywords():
    topics = {"cats": ["кошка", "рыжий кот"], "dogs": ("собака",)}
    assert extract("у нас рыжие коты и одна собака", topics).topic == "cats"
    assert extract("две собаки", topics).topic == "dogs"
    assert extract("ничего", {}).topic is None


# --- abusive language -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "да вы там все идиоты",
        "какие же вы дураки",
        "сидят одни бездари и дармоеды",
        "это б*** не система",
        "опять не работает п****ц",
        "нахрена нам этот дневник ну и херня",
        "опять всё сломали сволочи",
        "задолбали уже уроды",
    ],
)
def test_abusive(text):
    assert facts(text).abusive


@pytest.mark.parametrize(
    "text",
    [
        "это просто безобразие я буду жаловаться директору",
        "купите хлеба себе и детям",
        "учителя требуют справку",
        "застрахуйте ребенка",
        "не надо меня оскорблять",
        "меня зовут ольга козлова",
        "блин опять не работает",
        "мудрый совет спасибо",
        "консультант мне нахамила и бросила трубку",
        "херес",
        "небо",
        "дурацкая ситуация получилась",
    ],
)
def test_not_abusive(text):
    assert not facts(text).abusive


# --- word confidences -------------------------------------------------------------------

WORDS = [
    {"word": "сын", "conf": 0.98, "start": 0.1, "end": 0.4},
    {"word": "в", "conf": 0.52, "start": 0.4, "end": 0.5},
    {"word": "пятом", "conf": 0.91, "start": 0.5, "end": 0.9},
    {"word": "бэ", "conf": 0.41, "start": 0.9, "end": 1.1},
]


def test_low_confidence_words_are_listed_in_order():
    found = facts("сын в пятом бэ", words=WORDS)
    assert found.low_confidence == ("в", "бэ")
    assert found.klass == "5Б"


def test_threshold_is_a_parameter():
    assert facts("сын в пятом бэ", words=WORDS, threshold=0.95).low_confidence == (
        "в",
        "пятом",
        "бэ",
    )
    assert facts("сын в пятом бэ").low_confidence == ()


def test_words_make_up_the_text_when_it_is_empty():
    assert facts("", words=WORDS).klass == "5Б"


def test_as_dict():
    found = facts(
        "сын в пятом бэ оценки перезвоните девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"
    )
    assert found.as_dict() == {
        "phone": "+79161234567",
        "class": "5Б",
        "topic": "grades",
        "abusive": False,
    }


def test_tokenise_keeps_masked_words_and_splits_digits():
    assert tokenise("Ёлки, 5б класс — б***!") == ["елки", "5", "б", "класс", "б***"]


# --- understand -------------------------------------------------------------------------


def test_understand_yields_one_dict_per_line():
    lines = [
        "дочка в третьем а не видно оценок звоните девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь\n",
        "\n",
        json.dumps({"text": "не могу войти сын в седьмом бэ", "result": WORDS}, ensure_ascii=False),
    ]
    got = list(understand(lines, TOPIC_KEYWORDS))
    assert got == [
        {"phone": "+79161234567", "class": "3А", "topic": "grades", "abusive": False},
        {"phone": None, "class": None, "topic": "other", "abusive": False},
        {"phone": None, "class": "7Б", "topic": "login", "abusive": False},
    ]
    assert all(json.loads(json.dumps(row, ensure_ascii=False)) == row for row in got)


def test_understand_without_an_other_topic_gives_null():
    (row,) = understand(["алло алло"], {"grades": ["оценка"]})
    assert row["topic"] is None


def test_transcription_imports_nothing_of_ours():
    ours = {"core", "helpline", "ivr", "tickets", "callbacks"}
    for name in OUR_TRANSCRIPTION_FILES:
        path = ROOT / "transcription" / name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] in ours for name in names), (path.name, names)


MIXED_SCRIPT = re.compile(r"\w*(?:[а-яё][a-z]|[a-z][а-яё])\w*", re.IGNORECASE)


def test_no_word_mixes_latin_and_cyrillic_letters():
    # A Latin look-alike inside a Russian keyword would never match a transcript, and ruff's
    # confusable-character rules do not flag ASCII letters.
    files = [
        ROOT / "core" / "catalogue.py",
        *(ROOT / "transcription" / name for name in OUR_TRANSCRIPTION_FILES),
        Path(__file__),
        Path(__file__).with_name("test_numbers.py"),
    ]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not MIXED_SCRIPT.findall(text.replace("MIXED_SCRIPT", "")), path.name


# --- Whisper's way of writing a number ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Перезвоните, пожалуйста, 8 916 243-17-08.", "+79162431708"),
        ("Мой номер +7 (965) 402-55-30.", "+79654025530"),
        ("Перезвоните 8-9-1-3-1-8-5-6-4-0-2", "+79131856402"),
        ("Мой номер 8,999,001,55,66.", "+79990015566"),
        ("Телефон 8 (3812) 65-04-19, звоните вечером.", "+73812650419"),
        ("Перезвоните восемь 916 243 17 08", "+79162431708"),  # words and digits mixed
        ("Мой телефон 904 511 7723.", "+79045117723"),
        # A run the recognizer wrote with digits to spare: any 11 of them would be a guess.
        ("Телефон 8-3-8-1-2-6-10-5-0-4-9-10.", None),
        ("Телефон для связи 9,0,4,3,1,8,6,9,2,7,5.", None),
        ("Перезвоните в 18, 96, 2240, 3, 17, 0, 8", None),
        # «сорок два» written as two groups, «40-2»: a listener hears 42.
        ("Телефон 8-3-8-1-2-40-2-20-2-17", "+73812422217"),
        ("Телефон 8-3-8-1-2-40-0-20-2-17", None),  # «сорок, ноль»: 40 then 0, 12 digits
        ("Плюс 7.9 0.2 4.6 1.3 0.8 9.", "+79024613089"),
    ],
)
def test_numbers_as_whisper_writes_them(text, expected):
    assert facts(text).phone == expected


def words_of(text: str, conf: float) -> list[dict]:
    return [{"word": w, "conf": conf, "start": i, "end": i + 0.5}
            for i, w in enumerate(text.split())]


def test_a_number_heard_with_low_confidence_is_not_suggested():
    text = "Перезвоните, пожалуйста, 8 952 743 3901."
    assert facts(text, words=words_of(text, 0.9)).phone == "+79527433901"
    unsure = words_of(text, 0.9)
    unsure[4]["conf"] = 0.1  # «743» barely heard
    got = facts(text, words=unsure)
    assert got.phone is None and "743" in got.low_confidence
    # Without word confidences (a typed or corrected text) the number stands.
    assert facts(text).phone == "+79527433901"


def test_a_mumbled_filler_inside_a_number_does_not_sink_it():
    text = "Перезвоните восемь девятьсот э пятьдесят два семьсот сорок три тридцать девять ноль один"
    words = words_of(text, 0.9)
    words[3]["conf"] = 0.05  # «э»: no digit in it
    assert facts(text, words=words).phone == "+79527433901"
    words[4]["conf"] = 0.05  # «пятьдесят» is a digit group: now the number is in doubt
    assert facts(text, words=words).phone is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # «и» between the words of a number, a misspelt «двести», commas from the recognizer
        ("Перезвоните восемь девятьсот и шестьдесят, один, двесть и двадцать и четыре, "
         "восемьдесят восемь девяносто.", "+79612248890"),
        # «ноль два» glued and misspelt as one word
        ("Перезвоните восемь, девять, один, три. Один, восемь, пять, шесть, четыре, нальдва.",
         "+79131856402"),
        ("Перезвоните восемь девятьсот шестнадцать двести сорок три семнадцать ноль восемь",
         "+79162431708"),
        # A misspelling outside a number stays a word: «семья» is not «семь».
        ("Перезвоните, наша семья восемь девятьсот шестнадцать двести сорок три семнадцать "
         "ноль восемь", "+79162431708"),
        ("Нас семья из пяти, телефон не скажу", None),
    ],
)
def test_numbers_the_recognizer_misspelt(text, expected):
    assert facts(text).phone == expected
