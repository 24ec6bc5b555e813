"""Caller roles and request topics: the data behind the IVR menus and transcript classification.

Pure data, no imports of our packages. Keywords are Russian dictionary forms (for phrases,
the phrase as a dictionary would cite it: «учётная запись»); a keyword of several words
matches those words in a row, in any inflection. The same keywords
serve speech input in the IVR menus and topic classification of voicemail transcripts
(``transcription.extract`` takes them as a plain mapping, see ``TOPIC_KEYWORDS``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoleSpec:
    """Who is calling: a menu entry chosen by a DTMF digit or by speech."""

    code: str
    name: str
    digit: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class TopicSpec:
    """What the call is about, offered to the listed roles."""

    code: str
    name: str
    roles: tuple[str, ...]
    keywords: tuple[str, ...]


PARENT = "parent"
STAFF = "staff"
OTHER = "other"  # the topic for anything that matches no other topic

ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        code=PARENT,
        name="родитель или законный представитель",
        digit="1",
        keywords=(
            "родитель",
            "законный представитель",
            "представитель",
            "мама",
            "мать",
            "папа",
            "отец",
            "бабушка",
            "дедушка",
            "опекун",
            "ученик",
            "ребёнок",
            "сын",
            "дочь",
        ),
    ),
    RoleSpec(
        code=STAFF,
        name="сотрудник школы",
        digit="2",
        keywords=(
            "сотрудник",
            "сотрудник школы",
            "учитель",
            "учительница",
            "педагог",
            "преподаватель",
            "классный руководитель",
            "завуч",
            "заместитель директора",
            "директор",
            "секретарь",
            "администратор",
            "методист",
            "работник",
        ),
    ),
)

TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        code="login",
        name="вход в журнал, логин и пароль",
        roles=(PARENT, STAFF),
        keywords=(
            "вход",
            "войти",
            "входить",
            "зайти",
            "заходить",
            "логин",
            "пароль",
            "пороль",  # how the recognizer often hears «пароль»
            "учётная запись",
            "учётка",
            "аккаунт",
            "личный кабинет",
            "авторизация",
            "авторизоваться",
            "регистрация",
            "зарегистрироваться",
            "госуслуги",
            "гос услуги",
            "есиа",
            "е с и а",
            "заблокирован",
            "не пускает",
            "доступ",
            "восстановить пароль",
            "сбросить пароль",
            "код подтверждения",
            "смс",
        ),
    ),
    TopicSpec(
        code="grades",
        name="оценки",
        roles=(PARENT, STAFF),
        keywords=(
            "оценка",
            "отметка",
            "балл",
            "средний балл",
            "итоговая",
            "четвертная",
            "годовая",
            "пятёрка",
            "четвёрка",
            "тройка",
            "двойка",
            "единица",
            "контрольная",
            "аттестация",
            "выставить",
            "успеваемость",
        ),
    ),
    TopicSpec(
        code="attendance",
        name="посещаемость",
        roles=(PARENT, STAFF),
        keywords=(
            "посещаемость",
            "посещение",
            "пропуск",
            "пропустить урок",
            "прогул",
            "опоздание",
            "опоздать",
            "отсутствовать",
            "отсутствие",
            "уважительная причина",
            "справка",
            "больничный",
            "болеть",
            "заболеть",
        ),
    ),
    TopicSpec(
        code="schedule",
        name="расписание",
        roles=(PARENT, STAFF),
        keywords=(
            "расписание",
            "расписание звонков",
            "замена",
            "перемена",
            "домашнее задание",
            "домашка",
            "задание",
            "дз",
            "дэ зэ",
        ),
    ),
    TopicSpec(
        code="lesson_planning",
        name="календарно-тематическое планирование",
        roles=(STAFF,),
        keywords=(
            "календарно-тематическое планирование",
            "календарно-тематический план",
            "тематическое планирование",
            "тематический план",
            "поурочное планирование",
            "по урочное планирование",
            "планирование",
            "ктп",
            "ка тэ пэ",
            "рабочая программа",
            "импорт",
            "импортировать",
            "экспорт",
            "экспортировать",
            "шаблон",
        ),
    ),
    TopicSpec(
        code="lessons",
        name="проведение уроков",
        roles=(STAFF,),
        keywords=(
            "проведение урока",
            "провести урок",
            "проведённый",
            "тема урока",
            "тема",
            "заполнение журнала",
            "заполнить",
            "заполнять",
            "своевременный",
            "на замене",
            "замещение",
            "вести урок",
        ),
    ),
    TopicSpec(
        code="reports",
        name="отчёты",
        roles=(STAFF,),
        keywords=(
            "отчёт",
            "отчётность",
            "сформировать",
            "ведомость",
            "сводная ведомость",
            "статистика",
            "мониторинг",
            "распечатать",
            "выгрузка",
        ),
    ),
    TopicSpec(
        code="training",
        name="обучение нового сотрудника",
        roles=(STAFF,),
        keywords=(
            "обучение",
            "обучить",
            "научить",
            "научиться",
            "вебинар",
            "семинар",
            "курсы",
            "инструктаж",
            "инструкция",
            "новый учитель",
            "новый сотрудник",
            "новый педагог",
            "новый секретарь",
            "устроиться",
            "взять на работу",
            "не знаю как работать",
            "объяснить как работать",
            "молодой специалист",
        ),
    ),
    TopicSpec(
        code=OTHER,
        name="другой вопрос",
        roles=(PARENT, STAFF),
        keywords=(
            "другой вопрос",
            "что-то другое",
            "прочее",
            "иной вопрос",
        ),
    ),
)

ROLES_BY_CODE: dict[str, RoleSpec] = {role.code: role for role in ROLES}
ROLES_BY_DIGIT: dict[str, RoleSpec] = {role.digit: role for role in ROLES}
TOPICS_BY_CODE: dict[str, TopicSpec] = {topic.code: topic for topic in TOPICS}

# The shape ``transcription.extract`` and ``transcription.understand`` take.
TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {topic.code: topic.keywords for topic in TOPICS}


def topics_for(role: str) -> tuple[TopicSpec, ...]:
    """The topics offered to a role, in menu order."""
    return tuple(topic for topic in TOPICS if role in topic.roles)
