"""Every sentence of the callbacks an operator hears, and every text a caller or staff member reads.

Change wording here and nowhere else. Placeholders in {braces} are filled where used.
"""
# ruff: noqa: E501  (one sentence per line)

# --- the operator's phone: the whisper before connecting ---------------------------------------
WHISPER_INTRO = "Обратный звонок по обращению номер {number}."
WHISPER_ROLE_TOPIC = "Звонил {role}, тема: {topic}."
WHISPER_ROLE = "Звонил {role}."
WHISPER_TOPIC = "Тема: {topic}."
WHISPER_CLASS = "Класс: {klass}."
WHISPER_MESSAGE = "Начало сообщения: {words}"
WHISPER_NO_TRANSCRIPT = "Текст сообщения пока не расшифрован."
WHISPER_NO_MESSAGE = "Сообщение не оставлено."
WHISPER_ATTEMPT = "Это попытка {attempt} из {total}."
WHISPER_MENU = "Чтобы соединиться, нажмите 1. Чтобы отложить звонок на {postpone}, нажмите 2. Чтобы оставить обращение в очереди, нажмите 3."
WHISPER_NOT_UNDERSTOOD = "Извините, я не поняла ваш выбор."
MANUAL_CONNECTING = "Соединяю по обращению номер {number}."
CONNECTING = "Соединяю."
POSTPONED = "Звонок отложен на {postpone}. До свидания!"
QUEUED = "Обращение оставлено в очереди. До свидания!"
NOT_CURRENT = "Этот обратный звонок уже не актуален. Спасибо, до свидания!"
NO_NUMBER = "У этого обращения нет номера для обратного звонка. Оно оставлено в очереди. До свидания!"

# --- the operator's phone: after the bridged call ----------------------------------------------
AFTER_CALL_MENU = "Разговор завершён. Если вопрос решён, нажмите 1. Если нужно перезвонить ещё раз, нажмите 2. Чтобы записать итог позже в рабочем месте, нажмите 3 или положите трубку."
RESULT_SAVED = "Спасибо, итог записан. До свидания!"
RESULT_LATER = "Хорошо, запишите итог в рабочем месте. До свидания!"
CALLER_NOT_REACHED = "Дозвониться не удалось."
RETRY_PLANNED = "Следующая попытка запланирована {when}."
ATTEMPTS_EXHAUSTED = "Попытки исчерпаны, обращение отмечено: «не дозвонились»."
APOLOGY = "Извините, произошла техническая ошибка. Обращение осталось в очереди. До свидания!"

# --- the workspace: how a callback is shown (the operator and consultant pages) ---------------
STATUS_LABELS = {
    "planned": "запланирован",
    "dialing": "идёт звонок",
    "connected": "разговор состоялся, нужен итог",
    "done": "выполнен",
    "unreachable": "не дозвонились",
    "cancelled": "отменён",
}
OUTCOME_LABELS = {
    "resolved": "вопрос решён",
    "no_answer": "не ответили",
    "wrong_number": "неверный номер",
    "vendor_support": "передано в службу поддержки",
    "declined": "отказано",
    "abusive": "оскорбления, помощь прекращена",
    "unreachable": "не дозвонились",
    "cancelled": "отменён",
}

# --- SMS to the caller after the attempts are exhausted ---------------------------------------
SMS_CONFIRMATION = "Здравствуйте! Линия помощи, {school}. Ваше обращение № {number} зарегистрировано. Мы перезвоним вам {when}."
SMS_CONFIRMATION_SOON = "Здравствуйте! Линия помощи, {school}. Ваше обращение № {number} зарегистрировано. Мы перезвоним вам в ближайшее рабочее время."
SMS_UNREACHABLE = "Здравствуйте! Линия помощи, {school}. Мы не смогли дозвониться до вас по обращению № {number}. Пожалуйста, перезвоните нам: {phone}, {hours}."

# --- e-mail to the consultant and the administrator -------------------------------------------
SLA_SUBJECT = "Срок ответа по обращению № {number} истекает {when}"
SLA_BODY = """Здравствуйте!

Срок ответа по обращению № {number} ({school}) истекает {when}.
Тема: {topic}. Обращение поступило {created}.
Обратный звонок: {callback}.

Пожалуйста, проверьте, что заявителю ответят вовремя.

Линия помощи"""

DIGEST_SUBJECT = "Линия помощи, {school}: итоги за {day}"
DIGEST_BODY = """Здравствуйте!

Итоги линии помощи за {day}, {school}.

Новых обращений: {new}.
Обратных звонков выполнено: {done}.
Не дозвонились: {unreachable}.
Оскорбления, помощь прекращена: {abusive}.
Под угрозой срока: {at_risk}.
Запланировано звонков на сегодня: {today}.

Линия помощи"""

ABUSIVE_SUBJECT = "Обращение № {number}: помощь прекращена из-за оскорблений"
ABUSIVE_BODY = """Здравствуйте!

По обращению № {number} ({school}) помощь прекращена из-за оскорблений или нецензурной брани.
Оператор: {operator}.
Комментарий оператора: {note}

Линия помощи"""
