"""Every Russian word the workspace shows: page text, buttons, messages, status names.

Templates read this module as ``t`` (``{{ t.LOGIN_TITLE }}``); views and the browser phone's
JavaScript take their messages from here too. Change wording here and nowhere else.
"""

from __future__ import annotations

# --- the frame ---------------------------------------------------------------------------
APP_NAME = "Линия помощи"
SKIP_TO_CONTENT = "Перейти к содержанию"
NAV_QUEUE = "Обратные звонки"
NAV_INBOX = "Обращения"
NAV_SEARCH = "Поиск"
NAV_PHONE = "Телефон"
NAV_LOGOUT = "Выйти"
NAV_ORGANIZATION = "Организация"
SWITCH_ORGANIZATION = "Сменить"
FOOTER = "«Линия помощи» — помощь школам с электронным журналом"
NOT_SET = "не указано"

# --- sign-in -----------------------------------------------------------------------------
LOGIN_TITLE = "Вход в рабочее место"
LOGIN_INTRO = "Войдите, чтобы перезванивать родителям и отвечать на обращения."
LOGIN_USERNAME = "Имя пользователя"
LOGIN_PASSWORD = "Пароль"
LOGIN_SUBMIT = "Войти"
LOGIN_FAILED = "Неверное имя пользователя или пароль."
LOGIN_EMPTY = "Введите имя пользователя и пароль."
LOGIN_SLOW_DOWN = (
    "Слишком много неудачных попыток входа. Подождите {seconds} с и попробуйте снова."
)
LOGIN_REQUIRED = "Войдите, чтобы открыть эту страницу."
LOGGED_OUT = "Вы вышли из рабочего места."
NO_ROLE_HOME = "У вашей учётной записи нет роли оператора или консультанта."
ORGANIZATION_SWITCHED = "Выбрана организация: {name}."
ORGANIZATION_UNKNOWN = "Такой организации нет."

# --- errors ------------------------------------------------------------------------------
ERROR_TITLE = "Что-то пошло не так"
ERROR_400 = "Запрос не выполнен: проверьте введённые данные и попробуйте ещё раз."
ERROR_CSRF = (
    "Страница устарела или форма отправлена не из рабочего места. "
    "Обновите страницу и повторите действие."
)
ERROR_BAD_INPUT = (
    "Запрос содержит недопустимые символы или значения вне допустимого диапазона. "
    "Проверьте адрес и введённые данные."
)
ERROR_403 = "У вас нет доступа к этой странице."
ERROR_404 = "Такой страницы нет, или она относится к другой организации."
ERROR_429 = "Слишком много запросов. Подождите немного."
ERROR_500 = "Внутренняя ошибка. Мы уже записали её; попробуйте повторить действие позже."
BACK_HOME = "На главную"

# --- names of things ---------------------------------------------------------------------
TICKET_STATUS = {
    "new": "новое",
    "in_progress": "в работе",
    "escalated": "передано в поддержку",
    "resolved": "решено",
    "declined": "отклонено",
}
CHANNEL = {
    "voicemail": "голосовое сообщение",
    "missed_call": "пропущенный звонок",
    "phone": "звонок",
    "email": "электронная почта",
    "in_person": "лично",
}
DECLINE_REASON = {
    "not_enough_information": "недостаточно информации, чтобы найти и решить проблему",
    "incorrect_question": "вопрос поставлен некорректно, обсуждение неконструктивно",
    "ethics_violation": "нарушение этики общения (оскорбления, нецензурная брань)",
}
RECORDING_STATE = {
    "waiting": "ждёт расшифровки",
    "done": "расшифровано",
    "no_model": "не расшифровано: модель распознавания не настроена",
    "failed": "аудиозапись недоступна",
    "too_short": "слишком короткое сообщение",
    "deleted": "аудиозапись удалена по сроку хранения",
}
CALLBACK_STATUS = {
    "planned": "запланирован",
    "dialing": "идёт звонок",
    "connected": "разговор состоялся, нужен итог",
    "done": "выполнен",
    "unreachable": "не дозвонились",
    "cancelled": "отменён",
}
# The operator's outcomes of a callback (the regulations' wording).
OUTCOME = {
    "resolved": "Решено",
    "no_answer": "Не дозвонились",
    "wrong_number": "Неверный номер",
    "vendor_support": "Передано в поддержку",
    "declined_not_enough_information": "Отклонено — недостаточно информации",
    "declined_incorrect_question": "Отклонено — некорректный вопрос",
    "ethics_violation": "Нарушение этики",
}
# How one outbound call ended (callbacks.models.AttemptResult).
ATTEMPT_RESULT = {
    None: "звонок идёт",
    "connected": "разговор состоялся",
    "no-answer": "не ответили",
    "busy": "занято",
    "failed": "не удалось соединить",
    "canceled": "звонок отменён",
    "machine": "ответил автоответчик",
    "operator_missed": "оператор не ответил",
    "postponed": "отложен оператором",
    "queued": "оставлен в очереди",
    "not_placed": "линия не смогла позвонить",
    "stale": "нет сведений от линии",
    "ticket_closed": "обращение закрыто во время звонка",
}
# The outcome a callback closed with (callbacks.models.CallbackOutcome).
CALLBACK_OUTCOME = {
    "resolved": "решено",
    "no_answer": "не дозвонились",
    "wrong_number": "неверный номер",
    "vendor_support": "передано в поддержку",
    "declined": "отклонено",
    "abusive": "нарушение этики",
    "unreachable": "не дозвонились (попытки исчерпаны)",
    "cancelled": "не нужен: обращение закрыто",
}
AUDIT_ACTION = {
    "ticket.assigned": "Передано коллеге",
    "callback.assigned": "Обратный звонок передан коллеге",
    "call.answered": "Консультант ответил на звонок",
    "call.ended": "Разговор окончен",
    "ticket.opened": "Обращение зарегистрировано",
    "ticket.status": "Статус изменён",
    "ticket.callback_number": "Звонящий указал номер для обратного звонка",
    "ticket.note": "Заметка",
    "ticket.suggestion_accepted": "Принята подсказка из расшифровки",
    "ticket.escalated": "Передано в службу поддержки",
    "ticket.taken": "Взято в работу",
    "transcript.corrected": "Расшифровка исправлена",
    "recording.listen": "Прослушана запись",
    "callback.planned": "Обратный звонок запланирован",
    "callback.claimed": "Оператор взял звонок",
    "callback.ring": "Линия звонит оператору",
    "callback.outcome": "Итог обратного звонка",
    "callback.postponed": "Обратный звонок отложен",
    "callback.unreachable": "Не дозвонились: попытки исчерпаны",
    "callback.cancelled": "Обратный звонок отменён: обращение закрыто",
    "callback.sms": "Звонящему отправлено СМС",
    "ticket.sms_confirmation": "Звонящему отправлено СМС с номером обращения",
    "callback.abusive_reported": "Руководителю сообщено об оскорблениях",
    "ticket.sla_escalated": "Срок ответа истекает: консультант и администратор предупреждены",
    "digest.sent": "Отправлена ежедневная сводка",
    "auth.login": "Вход",
    "auth.login_failed": "Неудачный вход",
}
SUGGESTION_FIELD = {
    "phone": "Номер для обратного звонка",
    "class": "Класс",
    "topic": "Тема",
}

# --- the consultant's inbox --------------------------------------------------------------
INBOX_TITLE = "Обращения"
INBOX_INTRO = "Голосовые сообщения и пропущенные звонки. Срок ответа — {days} рабочих дня."
INBOX_TAB = {
    "new": "Новые",
    "in_progress": "В работе",
    "overdue": "Просрочены",
    "closed": "Закрытые",
}
INBOX_EMPTY = {
    "new": "Новых обращений нет.",
    "in_progress": "Сейчас в работе ничего нет.",
    "overdue": "Просроченных обращений нет. Так держать!",
    "closed": "Закрытых обращений пока нет.",
}
COL_NUMBER = "№"
COL_RECEIVED = "Поступило"
COL_CALLER = "Кто звонил"
COL_TOPIC = "Тема"
COL_MESSAGE = "Сообщение"
COL_DUE = "Ответить до"
COL_STATUS = "Статус"
OVERDUE = "просрочено"
AT_RISK = "под угрозой срока"
NO_TRANSCRIPT = "расшифровки нет"

# --- the caller's history (ticket page and callback card) -------------------------------
CALLER_HISTORY = "Раньше с этого номера"
CALLER_HISTORY_NONE = "Других обращений и звонков с этого номера не было."
CALLER_HISTORY_TICKET = "Обращение № {number}"
CALLER_HISTORY_CALL = "Звонок"
CALLER_HISTORY_TAKEN = "ответил(а) {name}"
CALLER_HISTORY_TALK = "разговор {duration}"
CALLER_HISTORY_MORE = "Показаны последние {count}. Остальные можно найти через поиск."
LIVE_CALL = "Звонок принят консультантом"
LIVE_CALL_TAKEN = "Ответил(а): {name}, {when}"
LIVE_CALL_TALK = "Длительность разговора: {duration}"
LIVE_CALL_HINT = "Запишите итог разговора: ответ и закрытие, передача в поддержку или отказ."

# --- live updates --------------------------------------------------------------------------
NOTIFY_ENABLE = "Уведомлять о новых сообщениях"
NOTIFY_ON = "Уведомления включены"
NOTIFY_TITLE = "Новое обращение"
NOTIFY_BODY = "На линию помощи поступило новое сообщение. Новых: {count}."
LIVE_STATUS = "Список обновляется сам"

# --- search ------------------------------------------------------------------------------
SEARCH_TITLE = "Поиск обращений"
SEARCH_LABEL = "Поиск"
SEARCH_PLACEHOLDER = "Номер телефона, № обращения, имя или слова из сообщения"
SEARCH_BUTTON = "Найти"
SEARCH_HINT = ("Телефон можно вводить в любом виде: 8 916 123-45-67, +7 (916) 123 45 67 "
               "или последние цифры. Слова ищутся во всех формах: «дневник» найдёт "
               "«в дневнике».")
SEARCH_FOUND = "Найдено: {count}."
SEARCH_NOTHING = "По запросу «{query}» ничего не найдено."
SEARCH_LIMITED = "Показаны первые {count}; уточните запрос, чтобы увидеть остальные."

# --- the ticket page ---------------------------------------------------------------------
TICKET_TITLE = "Обращение № {number}"
TICKET_BACK = "← Все обращения"
TICKET_FACTS = "Сведения"
FACT_RECEIVED = "Поступило"
FACT_CHANNEL = "Как поступило"
FACT_CALLER = "Номер звонящего"
FACT_CALLBACK = "Номер для обратного звонка"
FACT_ROLE = "Кто обращается"
FACT_TOPIC = "Тема"
FACT_CLASS = "Класс"
FACT_DUE = "Срок ответа"
FACT_ASSIGNEE = "Ответственный"
FACT_VENDOR_REF = "Номер обращения в поддержке"
FACT_RESOLUTION = "Ответ"
FACT_DECLINE = "Причина отказа"
FACT_CALLBACK_PLAN = "Обратный звонок"
TAKE = "Взять в работу"
TAKEN = "Обращение взято в работу."
RECORDING = "Запись сообщения"
RECORDING_NONE = "Звонящий не оставил сообщения: перезвоните ему."
AUDIO_UNSUPPORTED = "Ваш браузер не может воспроизвести запись."
AUDIO_DOWNLOAD = "Скачать запись"
SECONDS_SHORT = "с"
TRANSCRIPT = "Расшифровка"
TRANSCRIPT_LEGEND = "Выделены слова, которые распознаны неуверенно — проверьте их по записи."
TRANSCRIPT_ORIGINAL = "Распознанный текст"
TRANSCRIPT_CORRECTED = "Исправлено: {who}, {when}"
TRANSCRIPT_EDIT = "Исправить расшифровку"
TRANSCRIPT_SAVE = "Сохранить исправление"
TRANSCRIPT_SAVED = "Исправление сохранено; исходный текст тоже сохранён."
TRANSCRIPT_EMPTY = "Текст исправления не может быть пустым."
SUGGESTIONS = "Подсказки из расшифровки"
SUGGESTIONS_NONE = "Из расшифровки ничего извлечь не удалось."
SUGGESTION_ACCEPT = "Принять"
SUGGESTION_ACCEPTED = "Подсказка принята: {field} — {value}."
SUGGESTION_CURRENT = "сейчас: {value}"
SUGGESTION_SAME = "совпадает"
SUGGESTION_UNKNOWN = "Такой подсказки нет."
ABUSIVE_WARNING = "В сообщении, похоже, есть оскорбления или нецензурная брань."
NOTES = "Заметки"
NOTE_LABEL = "Новая заметка (видна только сотрудникам)"
NOTE_ADD = "Добавить заметку"
NOTE_ADDED = "Заметка добавлена."
NOTE_EMPTY = "Заметка не может быть пустой."
NOTES_NONE = "Заметок пока нет."
ANSWER = "Ответ и решение"
REPLY_LABEL = "Ответ звонящему (что вы ответили или сделали)"
REPLY_SUBMIT = "Ответить и закрыть обращение"
REPLY_EMPTY = "Напишите ответ: без него обращение нельзя закрыть."
RESOLVED = "Обращение закрыто как решённое."
ESCALATE = "Передать в службу поддержки"
ESCALATE_INTRO = (
    "Нештатная ситуация: консультант школы помочь не может. Запишите номер обращения "
    "в поддержке и что сказали звонящему."
)
ESCALATE_VENDOR = "Служба поддержки: {vendor}, {phones}"
ESCALATE_REF = "Номер обращения в поддержке"
ESCALATE_TOLD = "Что сказали звонящему"
ESCALATE_SUBMIT = "Передать в поддержку"
ESCALATED = "Обращение передано в службу поддержки."
ESCALATE_EMPTY = "Укажите номер обращения в поддержке и что сказали звонящему."
DECLINE = "Отклонить"
DECLINE_INTRO = "Отклонить можно только по одной из причин, названных в положении."
DECLINE_REASON_LABEL = "Причина"
DECLINE_COMMENT = "Комментарий (необязательно)"
DECLINE_SUBMIT = "Отклонить обращение"
DECLINED = "Обращение отклонено."
DECLINE_BAD_REASON = "Выберите причину отказа из списка."
REOPEN = "Вернуть в работу"
REOPENED = "Обращение снова в работе."
TRANSITION_REFUSED = "Это действие недоступно для обращения в статусе «{status}»."
TOO_LONG = "Текст слишком длинный (не более {limit} символов)."
HISTORY = "История"
HISTORY_NONE = "Событий пока нет."
SYSTEM_ACTOR = {"system": "система", "twilio": "телефонная линия"}

# --- the operator's queue ----------------------------------------------------------------
QUEUE_TITLE = "Обратные звонки"
QUEUE_INTRO = "Кому перезвонить. Список обновляется сам каждые 20 секунд."
# keyboard: (key, what it does), shown under the queue and on the card
KEYS_TITLE = "Клавиши"
KEYS_QUEUE = (
    ("N", "следующий звонок"),
    ("J / ↓", "строка ниже"),
    ("K / ↑", "строка выше"),
    ("Enter", "открыть"),
)
KEYS_CARD = (
    ("C", "позвонить"),
    ("1–7", "выбрать итог"),
    ("S", "записать итог"),
    ("N", "следующий звонок"),
    ("Esc", "к списку"),
)
NEXT_NONE = "Больше звонков, которые пора сделать, нет."
QUEUE_UPDATED = "Обновлено в {time}"
QUEUE_TAB = {
    "due": "Пора звонить",
    "later": "Позже сегодня",
    "tomorrow": "Завтра",
    "planned": "Все запланированные",
    "overdue": "Просрочены",
    "active": "Идёт звонок",
    "done": "Сделано сегодня",
}
QUEUE_EMPTY = {
    "due": "Сейчас звонить некому.",
    "active": "Сейчас никто не звонит.",
    "later": "На сегодня больше звонков не запланировано.",
    "tomorrow": "На завтра звонков не запланировано.",
    "planned": "Запланированных звонков нет.",
    "overdue": "Просроченных звонков нет.",
    "done": "Сегодня ещё никому не перезвонили.",
}
PAGER_LABEL = "Страницы списка"
PAGER_PREV = "← Предыдущие"
PAGER_NEXT = "Следующие →"
PAGER_OF = "Страница {page} из {pages}"
FILTER_ROLE = "Кто обращается"
FILTER_TOPIC = "Тема"
FILTER_ALL = "все"
# whose work: «мои» / «все»
WHO_FILTER = "Чьи"
WHO = {"all": "Все", "mine": "Мои"}
ASSIGN = "Передать коллеге"
ASSIGN_LABEL = "Кому"
ASSIGN_NOBODY = "никому (снять назначение)"
ASSIGN_SUBMIT = "Передать"
ASSIGNED = "Передано: {name}."
UNASSIGNED = "Назначение снято."
ASSIGN_BAD = "Выберите сотрудника этой школы из списка."
ASSIGN_CLOSED = "Обратный звонок уже завершён, передать его нельзя."
CALLBACK_ASSIGNEE = "Назначен"
FILTER_APPLY = "Показать"
COL_PLANNED = "Когда звонить"
COL_PHONE = "Номер"
COL_ATTEMPTS = "Не дозвонились"
COL_OUTCOME = "Итог"
CARD_TITLE = "Обратный звонок по обращению № {number}"
CARD_BACK = "← Очередь звонков"
CARD_PLANNED = "Запланирован"
CARD_WINDOW = "Окно звонков"
CARD_ATTEMPTS = "Не дозвонились"
CARD_CALLS = "Звонки по обращению"
CARD_ATTEMPTS_OF = "{done} из {limit}"
CARD_NO_ATTEMPTS = "Ещё не звонили."
CARD_TRANSCRIPT = "Начало сообщения"
CARD_OPEN_TICKET = "Открыть обращение"
CALL = "Позвонить"
CALL_HINT = (
    "Линия позвонит сначала на ваш телефон {phone}, затем соединит вас со звонящим; "
    "звонящий увидит номер школы."
)
CALL_STARTED = "Звоним: сначала зазвонит ваш телефон, затем линия соединит вас со звонящим."
CALL_NO_PHONE = "В вашей учётной записи не указан телефон: линии некуда вам позвонить."
CALL_TAKEN = "Этому человеку уже звонит другой оператор."
CALL_NO_NUMBER = "У обращения нет номера для обратного звонка."
CALL_REFUSED = "Позвонить сейчас нельзя: звонок уже идёт или обращение закрыто."
CALL_NOT_PLACED = "Линия не смогла позвонить. Попробуйте ещё раз или позвоните со своего телефона."
RELEASE = "Вернуть в очередь"
RELEASED = "Звонок возвращён в очередь."
CALLBACK_AT_RISK = "не успеваем в срок"
POSTPONE = "Отложить"
POSTPONE_LABEL = "На сколько отложить"
POSTPONE_CHOICES = {"15": "на 15 минут", "60": "на час", "tomorrow": "на следующий рабочий день"}
POSTPONED = "Звонок отложен до {when}."
POSTPONE_BAD = "Выберите, на сколько отложить звонок."
OUTCOME_TITLE = "Итог звонка"
OUTCOME_NOTE = "Комментарий (необязательно)"
OUTCOME_SUBMIT = "Записать итог"
OUTCOME_BAD = "Выберите итог звонка из списка."
OUTCOME_SAVED = "Итог записан: {outcome}."
RETRY_PLANNED = "Следующая попытка запланирована на {when}."
RETRY_EXHAUSTED = "Попытки исчерпаны: консультант увидит «не дозвонились»."
OUTCOME_REFUSED = "Итог не записан: звонок уже завершён с другим итогом."
OUTCOME_VENDOR_REF = "Номер обращения в поддержке (если передали)"
NEXT_ATTEMPT = "Следующая попытка"
CALLBACK_CLOSED = "Этот звонок уже завершён."
CALLBACK_FINISHED = "Обратный звонок завершён, итог: {outcome}."
OUTCOME_NEEDS_CALL = (
    "Сначала позвоните: итог разговора записывают после звонка. "
    "Без звонка можно отметить только «Не дозвонились»."
)

# --- the browser phone -------------------------------------------------------------------
PHONE_TITLE = "Телефон в браузере"
PHONE_INTRO = (
    "Позвоните на линию так, как позвонит родитель: выберите школу, нажимайте кнопки, "
    "оставьте сообщение с микрофона или из файла. Работает только с местной телефонией."
)
PHONE_TO = "Куда звоним"
PHONE_FROM = "С какого номера"
PHONE_CALL = "Позвонить"
PHONE_HANGUP = "Положить трубку"
PHONE_SPEAK = "Озвучивать подсказки голосом"
PHONE_SILENCE = "Промолчать"
PHONE_SAY = "Сказать словами"
PHONE_SAY_SEND = "Сказать"
PHONE_KEYPAD = "Клавиатура"
PHONE_LINE = "Линия"
PHONE_YOU = "Вы"
PHONE_RECORD_TITLE = "Запись сообщения после сигнала"
PHONE_RECORD_START = "Записать с микрофона"
PHONE_RECORD_STOP = "Остановить и отправить"
PHONE_RECORD_FILE = "Или выберите WAV-файл"
PHONE_RECORD_SEND = "Отправить файл"
PHONE_RECORD_NOTHING = "Ничего не говорить"
PHONE_RECORDING = "Идёт запись… {seconds} с"
PHONE_NO_MIC = "Микрофон недоступен: выберите WAV-файл."
PHONE_DIAL_TITLE = "Линия соединяет с консультантом"
PHONE_DIAL = {
    "completed": "Консультант ответил",
    "no-answer": "Не ответил",
    "busy": "Занято",
}
PHONE_DIAL_CALLER_TITLE = "Линия звонит по номеру из обращения. Что на том конце?"
PHONE_DIAL_CALLER = {
    "completed": "Звонивший ответил",
    "no-answer": "Не ответил",
    "busy": "Занято",
}
PHONE_LISTEN_TITLE = "Принимать звонки линии"
PHONE_LISTEN_INTRO = (
    "Страница станет телефоном с этим номером: обратные звонки линии будут звонить здесь. "
    "Номер оператора — тот, что указан у него в профиле; во второй вкладке можно стать "
    "телефоном звонившего."
)
PHONE_LISTEN_NUMBER = "Номер этого телефона"
PHONE_LISTEN_START = "Ждать звонков"
PHONE_LISTEN_STOP = "Не принимать звонки"
PHONE_LISTENING = "Ждём звонка на номер {number}…"
PHONE_RING_TITLE = "Входящий звонок"
PHONE_RINGING = "Звонит {from}"
PHONE_ANSWER = "Ответить"
PHONE_DECLINE = "Отклонить"
PHONE_CALLING_TITLE = "Линия дозванивается"
PHONE_CALLING = "Линия звонит на номер {numbers}…"
PHONE_TALK_TITLE = "Идёт разговор"
PHONE_TALKING = "Идёт разговор с номером {with}"
PHONE_END_TALK = "Завершить разговор"
PHONE_ANONYMOUS = "скрытый номер"
PHONE_CALLBACK_ABOUT = "Обратный звонок по обращению № {number}"
PHONE_ENDED = "Звонок завершён."
# `helpline call --callback`: the terminal is the operator's phone.
CLI_CALLBACK_RINGING = "[линия звонит оператору на номер {number}]"
CLI_NO_CALLBACKS = "[к этому времени обратных звонков нет]"
PHONE_TICKET = "Обращение № {number} зарегистрировано."
PHONE_TICKET_OPEN = "Открыть обращение"
PHONE_CALLBACK = "Обратный звонок запланирован на {when}."
PHONE_WAITING = "Линия ждёт: {what}"
PHONE_WAIT_KEYS = "нажмите кнопку"
PHONE_WAIT_SPEECH = "кнопку или ответ словами"
PHONE_BUSY = "Подождите…"
PHONE_ERROR = "Ошибка: {error}"
PHONE_BAD_NUMBER = "Номер звонящего указан неверно."
PHONE_UNKNOWN_TO = "На этот номер линия не отвечает."
PHONE_BAD_INPUT = "Линия сейчас ждёт другого: {expected}."
PHONE_BAD_KEYS = "Можно нажимать только цифры, * и #."
PHONE_BAD_WAV = "Это не WAV-файл или он повреждён."
PHONE_WAV_TOO_BIG = "Файл слишком большой (не более {mb} МБ)."
PHONE_WAV_EMPTY = "Выберите WAV-файл с сообщением."
PHONE_TOO_MANY = "Слишком много звонков одновременно. Завершите другие звонки."
PHONE_GONE = "Звонок уже завершён."
PHONE_EVENT = {
    "keys": "нажимаете {text}",
    "speech": "говорите «{text}»",
    "silence": "молчите",
    "message": "оставляете сообщение ({text} с)",
    "message_empty": "ничего не говорите после сигнала",
    "dial": "линия соединяет с номером {text}",
    "dial_result": "результат соединения: {text}",
    "hangup": "звонок завершён",
    "error": "ошибка линии: {text}",
    "ring": "входящий звонок с номера {text}",
    "answered": "вы ответили",
    "talk": "соединено с номером {text}: идёт разговор",
}

# --- the admin pages (issue 7): settings, schedule, prompts, reports, audit ---------------
NAV_ADMIN = "Настройки"
NAV_REPORTS = "Отчёты"
NAV_AUDIT = "Журнал действий"
ADMIN_TITLE = "Настройки линии помощи"
ADMIN_INTRO = (
    "Всё, что нужно школе: организация, сотрудники, график, темы, фразы линии и "
    "публикация."
)
ADMIN_NO_ORGS = (
    "Организаций пока нет. Добавьте первую школу — остальное настраивается на её "
    "страницах."
)
ADMIN_SECTIONS = {
    "organization": "Организация",
    "users": "Сотрудники и роли",
    "schedule": "График дежурств",
    "exceptions": "Отпуска, выходные и дополнительные часы",
    "calendar": "Производственный календарь",
    "topics": "Темы обращений",
    "prompts": "Фразы линии",
    "publication": "Публикация графика",
    "reports": "Отчёты",
    "audit": "Журнал действий",
}
ADMIN_SECTION_HINTS = {
    "organization": "Название, номера линии, часовой пояс, служба поддержки журнала, сроки.",
    "users": "Операторы, консультанты и администраторы; пароли и отключение.",
    "schedule": "Кто и когда принимает звонки и перезванивает — по дням недели.",
    "exceptions": "Отпуск сотрудника, закрытый день, дополнительные часы на дату.",
    "calendar": "Рабочие и выходные дни, которых ещё нет в календаре.",
    "topics": "Названия, ключевые слова и кому предлагается тема.",
    "prompts": "Текст любой фразы и своя аудиозапись.",
    "publication": "Страница для сайта школы, код для вставки, версия для печати.",
    "reports": "Звонки, обратные звонки, сроки ответа — за выбранный период.",
    "audit": "Кто прослушал записи и что менял.",
}
CHECKLIST_TITLE = "Что ещё не настроено"
CHECKLIST = {
    "numbers": "Не указан ни один номер линии помощи: звонки не дойдут до школы.",
    "consultant": "Нет ни одного консультанта.",
    "operator": "Нет сотрудника, который перезванивает (оператора или консультанта).",
    "consultation": (
        "В графике нет часов консультаций: линия всегда будет предлагать оставить "
        "сообщение."
    ),
    "callbacks": "В графике нет часов обратных звонков: перезванивать будет некому.",
    "vendor": "Не указаны контакты службы поддержки журнала.",
    "contacts": "Не указаны телефон или электронная почта для обращений.",
}
CHECKLIST_DONE = "Всё основное настроено."
SAVE = "Сохранить"
ADD = "Добавить"
DELETE = "Удалить"
CANCEL = "Отмена"
YES = "да"
NO = "нет"
SAVED = "Изменения сохранены."
DELETED = "Удалено."
ACTIONS = "Действия"
REQUIRED_MARK = "обязательно"
BACK_TO_ADMIN = "← Настройки"

# organizations
ORG_NEW_TITLE = "Новая школа"
ORG_NEW_LINK = "Добавить школу"
ORG_CREATED = "Школа «{name}» добавлена и выбрана. Теперь добавьте сотрудников и график."
ORG_NAME = "Полное название"
ORG_NAME_HINT = "Как в уставе: «МАОУ СОШ № 19»."
ORG_SHORT_NAME = "Краткое название"
ORG_SHORT_NAME_HINT = "Как его произносит линия: «школа № 19»."
ORG_SLUG = "Адрес страницы"
ORG_SLUG_HINT = "Латинские буквы, цифры и дефис: страница графика будет /s/{slug}/."
ORG_TIMEZONE = "Часовой пояс"
ORG_NUMBERS = "Номера линии помощи"
ORG_NUMBERS_HINT = "По одному на строку, например +7 495 000-00-19. На эти номера звонят родители."
ORG_CONTACT_PHONE = "Телефон для обращений"
ORG_CONTACT_EMAIL = "Электронная почта для обращений"
ORG_HEAD_NAME = "Руководитель (фамилия и инициалы)"
ORG_HEAD_NAME_HINT = "Для грифа «УТВЕРЖДАЮ» на графике для печати; можно оставить пустым."
ORG_JOURNAL = "Электронный журнал"
ORG_VENDOR_TITLE = "Служба поддержки электронного журнала"
ORG_VENDOR_NAME = "Название службы поддержки"
ORG_VENDOR_PHONES = "Телефоны службы поддержки"
ORG_VENDOR_PHONES_HINT = "По одному на строку."
ORG_VENDOR_NOTE = "Примечание к телефону"
ORG_VENDOR_NOTE_HINT = "Например: «звонок бесплатный»."
ORG_VENDOR_EMAIL = "Электронная почта службы поддержки"
ORG_VENDOR_TIMEZONE = "Часовой пояс службы поддержки"
ORG_VENDOR_HOURS = "Часы работы службы поддержки"
ORG_VENDOR_HOURS_HINT = "До трёх строк: дни недели и время. Пустая строка не учитывается."
ORG_VENDOR_WORKING_DAYS = "Только в рабочие дни (не работает в праздники)"
ORG_DEADLINES_TITLE = "Сроки и обратные звонки"
ORG_SLA = "Срок ответа на обращение, рабочих дней"
ORG_TRAINING = "Срок обучения нового сотрудника, рабочих дней"
ORG_CALLBACK_MODE = "Обратные звонки"
CALLBACK_MODES = {
    "auto": "Линия сама звонит оператору в запланированное время",
    "manual": "Оператор звонит сам из очереди",
}
ORG_CAPACITY = "Звонков в час на одного оператора"
ORG_RETENTION_TITLE = "Хранение записей"
ORG_RETENTION = "Хранить аудиозаписи сообщений, дней"
ORG_RETENTION_TRANSCRIPTS = "Удалять вместе с аудиозаписью и расшифровку"
ORG_RETENTION_HINT = (
    "Записи голоса — персональные данные. По истечении срока аудиофайл удаляется; "
    "расшифровка остаётся, если не отмечено иное."
)
TIMEZONES = {
    "Europe/Kaliningrad": "Калининград (МСК-1)",
    "Europe/Moscow": "Москва (МСК)",
    "Europe/Samara": "Самара (МСК+1)",
    "Asia/Yekaterinburg": "Екатеринбург (МСК+2)",
    "Asia/Omsk": "Омск (МСК+3)",
    "Asia/Novosibirsk": "Новосибирск (МСК+4)",
    "Asia/Krasnoyarsk": "Красноярск (МСК+4)",
    "Asia/Irkutsk": "Иркутск (МСК+5)",
    "Asia/Yakutsk": "Якутск (МСК+6)",
    "Asia/Vladivostok": "Владивосток (МСК+7)",
    "Asia/Magadan": "Магадан (МСК+8)",
    "Asia/Kamchatka": "Камчатка (МСК+9)",
}
# form errors (each says what to fix)
ERR_REQUIRED = "Заполните поле «{field}»."
ERR_TOO_LONG = "Поле «{field}» слишком длинное (не более {limit} символов)."
ERR_NUMBER = "В поле «{field}» нужно целое число от {low} до {high}."
ERR_PHONE = "«{value}» не похоже на номер телефона. Пример: +7 495 000-00-19."
ERR_PHONE_TAKEN = "Номер {value} уже подключён к другой организации."
ERR_PHONE_TWICE = "Номер {value} указан дважды."
ERR_EMAIL = "«{value}» не похоже на адрес электронной почты."
ERR_TIMEZONE = "Неизвестный часовой пояс «{value}». Выберите его из списка."
ERR_SLUG = "Адрес страницы: 2–64 латинские буквы, цифры или дефисы, например sosh19."
ERR_SLUG_TAKEN = "Адрес страницы «{value}» уже занят другой школой."
ERR_CHOICE = "Выберите значение поля «{field}» из списка."
ERR_TIME = "Время «{value}» указано неверно: нужно ЧЧ:ММ, например 13:00."
ERR_EMPTY_SLOT = "Время окончания ({end}) должно быть позже времени начала ({start})."
ERR_NO_WEEKDAYS = "Отметьте хотя бы один день недели."
ERR_VENDOR_HOURS = "Часы службы поддержки, строка {row}: {problem}"
ERR_DATE = "Дата «{value}» указана неверно: нужно ДД.ММ.ГГГГ."
ERR_DATE_RANGE = "Дата окончания раньше даты начала."
ERR_RANGE_TOO_LONG = "Слишком длинный период: не более {days} дней за раз."

# users
USERS_TITLE = "Сотрудники и роли"
USERS_INTRO = "Кто работает на линии. Отключённый сотрудник не может войти и не дежурит."
USERS_EMPTY = "Сотрудников пока нет."
USER_NEW = "Новый сотрудник"
USER_EDIT = "Сотрудник: {name}"
USER_USERNAME = "Имя для входа"
USER_USERNAME_HINT = "Латинские буквы, цифры, точка, дефис или подчёркивание."
USER_NAME = "Фамилия, имя, отчество"
USER_PHONE = "Телефон"
USER_PHONE_HINT = "На него линия соединяет звонящих и звонит при обратных звонках."
USER_EMAIL = "Электронная почта"
USER_ROLES = "Роли"
USER_ROLE = {
    "operator": "оператор (перезванивает)",
    "consultant": "консультант (отвечает на обращения)",
    "admin": "администратор (настройки и отчёты)",
}
USER_PASSWORD = "Пароль"
USER_PASSWORD_HINT = "Не короче {min} символов. Сообщите его сотруднику лично."
USER_ACTIVE = "Доступ открыт"
USER_INACTIVE = "доступ отключён"
USER_CREATED = "Учётная запись {name} создана."
USER_DEACTIVATE = "Отключить"
USER_ACTIVATE = "Включить"
USER_DEACTIVATED = (
    "Доступ для {name} отключён: вход в систему закрыт, дежурства в графике не учитываются."
)
USER_ACTIVATED = "Доступ для {name} снова открыт."
USER_PASSWORD_RESET = "Задать новый пароль"
USER_PASSWORD_DONE = "{name}: пароль изменён."
USER_NO_PHONE = "телефон не указан"
ERR_USERNAME = "Имя для входа: 2–64 латинские буквы, цифры, точка, дефис или подчёркивание."
ERR_USERNAME_TAKEN = "Имя для входа «{value}» уже занято."
ERR_NO_ROLES = "Отметьте хотя бы одну роль."
ERR_PASSWORD_SHORT = "Пароль слишком короткий: не меньше {min} символов."
ERR_SELF_DEACTIVATE = "Нельзя отключить собственную учётную запись."
ERR_SELF_ADMIN = "Нельзя снять с себя роль администратора."
COL_USERNAME = "Вход"
COL_NAME = "Сотрудник"
COL_ROLES = "Роли"
COL_CONTACTS = "Контакты"
COL_STATE = "Состояние"

# the schedule
SCHEDULE_TITLE = "График дежурств"
SCHEDULE_INTRO = (
    "Консультации — когда звонки соединяются с консультантом; обратные звонки — когда "
    "оператор перезванивает. Время — {zone}."
)
SCHEDULE_SUMMARY = "Консультант принимает звонки {hours}."
SCHEDULE_CALLBACKS_SUMMARY = "Обратные звонки: {hours}."
SCHEDULE_GRID = "Неделя"
SCHEDULE_EMPTY_DAY = "нет дежурств"
SCHEDULE_ADD = "Добавить дежурство"
SCHEDULE_SLOTS = "Все дежурства"
SCHEDULE_NO_SLOTS = "В графике пока нет ни одного дежурства. Добавьте первое выше."
SLOT_USER = "Сотрудник"
SLOT_KIND = "Вид дежурства"
DUTY_KIND = {"consultation": "консультации", "callbacks": "обратные звонки"}
SLOT_WEEKDAYS = "Дни недели"
SLOT_WEEKDAY = "День недели"
SLOT_START = "С"
SLOT_END = "До"
SLOT_ROLES = "Кому (пусто — всем)"
SLOT_TOPICS = "Темы (пусто — все)"
SLOT_MOVE = "Перенести"
SLOT_ADDED = "Дежурство добавлено: {what}."
SLOT_MOVED = "Дежурство сохранено: {what}."
SLOT_REMOVED = "Дежурство удалено: {what}."
SLOT_ALL = "все"
ERR_SLOT_OVERLAP = (
    "{name}: дежурства пересекаются: {day} {new} и уже есть {old}. Один сотрудник не может "
    "дежурить дважды в одно время — измените время или день."
)
ERR_SLOT_USER = "Выберите сотрудника из списка (отключённые не дежурят)."
WARN_SLOT_NO_PHONE = (
    "{name}: не указан телефон — линия не сможет соединить со звонящим."
)
WARN_EMPTY_DAYS = "Консультаций нет: {days}. В эти дни звонящим предложат оставить сообщение."
WARN_NO_CONSULTATION = (
    "В графике нет консультаций: звонящим всегда будет предложено оставить сообщение."
)
WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
WEEKDAYS_SHORT_TITLE = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")

# exceptions
EXCEPTIONS_TITLE = "Отпуска, выходные и дополнительные часы"
EXCEPTIONS_INTRO = "Изменения графика на конкретные даты. Обратные звонки перепланируются сами."
EXCEPTIONS_EMPTY = "Изменений графика на даты нет."
EXCEPTION_KIND = {
    "leave": "отпуск или отсутствие сотрудника",
    "closed": "школа закрыта (линия не работает весь день)",
    "extra": "дополнительные часы",
}
EXCEPTION_FROM = "С даты"
EXCEPTION_TO = "По дату (включительно)"
EXCEPTION_TIMES_HINT = "Время можно не указывать для отпуска на весь день."
EXCEPTION_NOTE = "Комментарий"
EXCEPTION_ADDED = "Добавлено дней: {count}."
EXCEPTION_PAST = "Прошедшие даты не показаны."
ERR_EXCEPTION_USER = "Для отпуска и дополнительных часов выберите сотрудника."
ERR_EXCEPTION_TIMES = "Для дополнительных часов укажите время начала и окончания."
ERR_EXCEPTION_BOTH = "Укажите и начало, и окончание, или не указывайте время вовсе."
COL_DATE = "Дата"
COL_KIND = "Что"
COL_WHO = "Кто"
COL_TIME = "Время"
COL_NOTE = "Комментарий"
WHOLE_DAY = "весь день"

# production calendar
CALENDAR_TITLE = "Производственный календарь"
CALENDAR_INTRO = (
    "Праздники и переносы выходных берутся из календаря РФ. Если вышло новое постановление "
    "о переносе, а в календаре его ещё нет, отметьте день здесь."
)
CALENDAR_MISSING = (
    "В установленном календаре нет переносов выходных на {year} год: проверьте даты "
    "вручную."
)
CALENDAR_EMPTY = "Своих отметок в календаре нет."
CALENDAR_DAY = "Дата"
CALENDAR_WORKING = "Этот день"
CALENDAR_CHOICES = {"1": "рабочий", "0": "выходной"}
CALENDAR_NOTE = "Основание (например, номер постановления)"
CALENDAR_SAVED = "День {day} отмечен как {what}."
CALENDAR_UPCOMING = "Ближайшие нерабочие дни"

# topics
TOPICS_TITLE = "Темы обращений"
TOPICS_INTRO = (
    "Темы звучат в меню линии (первые девять для каждой роли) и помогают распознать тему "
    "голосового сообщения по ключевым словам."
)
TOPIC_NAME = "Название"
TOPIC_KEYWORDS = "Ключевые слова"
TOPIC_KEYWORDS_HINT = "Через запятую, в начальной форме: «оценка, отметка, журнал»."
TOPIC_ROLES = "Кому предлагать"
TOPIC_POSITION = "Порядок в меню"
TOPIC_ACTIVE = "Предлагать в меню"
TOPIC_SERVED_BY = "Кто отвечает"
TOPIC_SERVED_ALL = "все консультанты по графику"
TOPIC_SERVED_NOBODY = "никто — звонки по этой теме уйдут в голосовую почту"
TOPIC_NEW = "Новая тема"
TOPIC_ADDED = "Тема «{name}» добавлена."
TOPIC_SAVED = "Тема «{name}» сохранена."
TOPIC_OFF = "не предлагается"
WARN_TOO_MANY_TOPICS = "Для роли «{role}» больше девяти тем: в меню прозвучат только первые девять."
ERR_TOPIC_ROLES = "Отметьте, кому предлагать тему."

# prompts
PROMPTS_TITLE = "Фразы линии"
PROMPTS_INTRO = (
    "Любую фразу можно сказать своими словами. Вместо синтезированного голоса можно загрузить "
    "запись (WAV или MP3, не больше {mb} МБ) — для фраз без подстановок."
)
PROMPT_DEFAULT = "Стандартный текст"
PROMPT_TEXT = "Текст фразы"
PROMPT_PLACEHOLDERS = "Подстановки (оставьте их в тексте): {names}"
PROMPT_AUDIO = "Своя запись"
PROMPT_AUDIO_UPLOAD = "Загрузить запись"
PROMPT_AUDIO_ONLY_PLAIN = "Запись не используется: в этой фразе меняются данные ({names})."
PROMPT_RESET = "Вернуть стандартную"
PROMPT_SAVED = "Фраза {key} сохранена."
PROMPT_AUDIO_SAVED = "Запись для фразы {key} загружена. Прослушайте её ниже."
PROMPT_RESET_DONE = "Для фразы {key} снова звучит стандартный текст."
PROMPT_CHANGED = "изменена"
PROMPT_GROUPS = {
    "greeting": "Приветствие",
    "menu": "Меню",
    "info": "Справка и служба поддержки",
    "open": "Соединение с консультантом",
    "closed": "Голосовое сообщение",
    "after": "После сообщения",
    "number": "Номер для обратного звонка",
    "failure": "Техническая ошибка",
}
ERR_PROMPT_KEY = "Такой фразы нет."
ERR_PROMPT_EMPTY = "Текст фразы не может быть пустым."
ERR_PROMPT_PLACEHOLDERS = (
    "В тексте должны остаться подстановки {expected} и не должно быть других ({found})."
)
ERR_PROMPT_BRACES = "Фигурные скобки используются только для подстановок, например {{number}}."
ERR_AUDIO_EMPTY = "Выберите файл записи."
ERR_AUDIO_TYPE = "Это не WAV- или MP3-файл."
ERR_AUDIO_SIZE = "Файл слишком большой: не более {mb} МБ."
ERR_AUDIO_PARAMS = "В этой фразе меняются данные ({names}): запись для неё не используется."

# publication
PUBLICATION_TITLE = "Публикация графика"
PUBLICATION_INTRO = (
    "Положение требует разместить график консультаций на сайте школы и на информационном "
    "стенде. Страница открывается без входа и всегда показывает текущий график."
)
PUBLICATION_PAGE = "Страница для родителей и сотрудников"
PUBLICATION_FRAGMENT = "HTML-фрагмент (для вставки в страницу сайта)"
PUBLICATION_IFRAME = "Код для вставки окном (iframe)"
PUBLICATION_IFRAME_AUTOSIZE = ("Окно само подстраивает высоту под расписание: вставьте обе строки, "
                               "и на телефоне ничего не обрежется.")
PUBLICATION_PRINT = "Версия для печати (А4)"
PUBLICATION_PDF = "PDF для стенда"

# the public page
PUBLIC_TITLE = "Помощь с электронным журналом"
PUBLIC_SCHEDULE = "График работы консультанта"
PUBLIC_HOURS = "Консультант принимает звонки {hours}."
PUBLIC_NO_HOURS = "Часы консультаций пока не назначены."
PUBLIC_TABLE_DAY = "День недели"
PUBLIC_TABLE_HOURS = "Часы"
PUBLIC_TABLE_WHO = "Консультант"
PUBLIC_DAY_OFF = "—"
PUBLIC_CONTACTS = "Как обратиться"
PUBLIC_PHONE = "Телефон линии помощи"
PUBLIC_CONTACT_PHONE = "Телефон"
PUBLIC_EMAIL = "Электронная почта"
PUBLIC_MESSAGE_TITLE = "Если консультант сейчас не отвечает"
PUBLIC_MESSAGE = (
    "Вне часов консультаций или когда консультант занят, линия предложит оставить голосовое "
    "сообщение. После сигнала назовите своё имя, класс ребёнка, коротко и конкретно опишите "
    "затруднение и, если нужно, номер телефона для обратного звонка; в конце нажмите #."
)
PUBLIC_CALLBACK = (
    "Мы перезвоним вам в рабочее время. Обращения по телефону и электронной почте "
    "рассматриваются в течение {days}."
)
PUBLIC_CALLBACK_HOURS = "Обратные звонки — {hours}."
PUBLIC_TRAINING = (
    "Новых сотрудников школы обучаем работе с журналом в течение {days} с начала работы."
)
PUBLIC_VENDOR_TITLE = "Служба поддержки электронного журнала"
PUBLIC_VENDOR_INTRO = (
    "Если консультант школы не может помочь (нештатная ситуация), обращайтесь напрямую: "
    "{vendor}."
)
PUBLIC_VENDOR_HOURS = "Часы работы: {hours}"
PUBLIC_VENDOR_HOLIDAYS = ", кроме выходных и праздничных дней"
PUBLIC_CHANGES = "Изменения графика"
PUBLIC_CLOSED_DAY = "линия не работает"
PUBLIC_EXTRA = "дополнительные часы {start}–{end}"
PUBLIC_ETIQUETTE = "Общение ведётся вежливо и уважительно с обеих сторон."
PUBLIC_PRINT_LINK = "Версия для печати"
PUBLIC_UPDATED = "График на {date}"
APPROVE = "УТВЕРЖДАЮ"
APPROVE_HEAD = "Руководитель {school}"
APPROVE_NAME_BLANK = "ФИО"
APPROVE_DATE = "«__» ____________ 20__ г."
PRINT_TITLE = "График работы консультанта по вопросам электронного журнала"
PRINT_BUTTON = "Напечатать"
PDF_UNAVAILABLE = "PDF сейчас недоступен на этом сервере: воспользуйтесь версией для печати."

# reports
REPORTS_TITLE = "Отчёты"
REPORTS_INTRO = "Как работает линия помощи за выбранный период (даты — по времени школы)."
REPORT_FROM = "С"
REPORT_TO = "По"
REPORT_SHOW = "Показать"
REPORT_LAST_MONTH = "Прошлый месяц"
REPORT_THIS_MONTH = "Этот месяц"
REPORT_PERIOD = "Период: {start} — {end}"
REPORT_CSV = "CSV"
REPORT_CSV_ALL = "Скачать всё в CSV"
REPORT_CHART_ALT = "Диаграмма: {what}. Те же данные — в таблице ниже."
REPORT_NO_DATA = "За этот период данных нет."
REPORT_SECTIONS = {
    "days": "Звонки по дням",
    "roles": "Звонки по ролям звонящих",
    "topics": "Звонки по темам",
    "outcomes": "Чем закончились звонки",
    "callbacks": "Обратные звонки",
    "sla": "Сроки ответа",
    "overdue": "Просроченные обращения",
    "training": "Обучение новых сотрудников",
}
REPORT_TOTAL_CALLS = "Всего звонков"
REPORT_COUNT = "Количество"
REPORT_SHARE = "Доля"
REPORT_SHARE_PERCENT = "Доля, %"
REPORT_DAY = "День"
REPORT_ROLE = "Кто звонил"
REPORT_TOPIC = "Тема"
REPORT_NOT_CHOSEN = "не выбрано"
CALL_OUTCOME = {
    "live": "ответил консультант",
    "voicemail": "оставлено сообщение",
    "abandoned": "положили трубку",
    "transferred": "переведено в поддержку",
    "info": "прослушали справку",
    "other": "прочее",
}
REPORT_CALLBACKS_TOTAL = "Обратных звонков"
REPORT_CALLBACKS_REACHED = "Дозвонились"
REPORT_CALLBACKS_FIRST = "С первой попытки"
REPORT_CALLBACKS_UNREACHABLE = "Не дозвонились (попытки исчерпаны)"
REPORT_CALLBACKS_ATTEMPTS = "Попыток на один звонок, в среднем"
REPORT_CALLBACKS_WAIT_MEDIAN = "От сообщения до первого звонка, медиана"
REPORT_CALLBACKS_WAIT_MAX = "От сообщения до первого звонка, дольше всего"
REPORT_ATTEMPTS_DIST = "Звонков одному человеку"
REPORT_SLA_TOTAL = "Обращений, срок ответа по которым наступил"
REPORT_SLA_MET = "Решено в срок"
REPORT_SLA_LATE = "С нарушением срока"
REPORT_SLA_SHARE = "Доля решённых в срок"
REPORT_SLA_SHARE_PERCENT = "Доля решённых в срок, %"
REPORT_SLA_OPEN = "Ещё в работе, срок не наступил"
REPORT_OVERDUE_EMPTY = "Просроченных обращений нет."
REPORT_TRAINING_EMPTY = "Заявок на обучение за период нет."
COL_TICKET = "Обращение"
COL_CREATED = "Поступило"
COL_DEADLINE = "Срок"
COL_CLOSED = "Закрыто"
COL_LATE = "Просрочка"
COL_RESULT = "Итог"
TRAINING_MET = "в срок"
TRAINING_LATE = "с опозданием"
TRAINING_OPEN = "в работе"
TRAINING_OVERDUE = "срок прошёл"
DAYS_SHORT = "дн."
HOURS_SHORT = "ч"
MINUTES_SHORT = "мин"
ERR_REPORT_PERIOD = "Период указан неверно: проверьте даты (не больше года)."

# audit
# The details of an audit event, in Russian (keys not listed here are not shown).
AUDIT_DETAIL = {
    "after": "стало",
    "at_risk": "под угрозой срока",
    "attempt": "попытка",
    "attempts": "попыток",
    "before": "было",
    "channel": "канал",
    "day": "дата",
    "days": "дней",
    "due": "срок ответа",
    "end": "до",
    "field": "поле",
    "fields": "изменены поля",
    "file": "файл",
    "first": "с",
    "had_correction": "исправлялась раньше",
    "key": "фраза",
    "kind": "вид",
    "last": "по",
    "mode": "режим",
    "name": "название",
    "note": "примечание",
    "number": "номер обращения",
    "numbers": "номера",
    "outcome": "итог",
    "planned_at": "запланирован на",
    "previous": "было",
    "reference": "номер в службе поддержки",
    "retention_days": "срок хранения, дней",
    "roles": "роли",
    "slot": "дежурство",
    "start": "с",
    "status": "стало",
    "ticket": "обращение",
    "ticket_status": "статус обращения",
    "transcript_deleted": "расшифровка удалена",
    "username": "имя для входа",
    "value": "значение",
    "working": "рабочий день",
}
HISTORY_PLANNED_AT = "на {when}"
AUDIT_YES = "да"
AUDIT_NO = "нет"
AUDIT_MODE = {"auto": "линия звонит сама", "manual": "оператор нажал «Позвонить»"}
AUDIT_TITLE = "Журнал действий"
AUDIT_INTRO = "Кто прослушал записи сообщений, кто и что менял. Записи журнала не удаляются."
AUDIT_FILTER_ACTION = "Действие"
AUDIT_FILTER_USER = "Сотрудник"
AUDIT_FILTER_FROM = "С даты"
AUDIT_FILTER_TO = "По дату"
AUDIT_EMPTY = "Записей нет."
AUDIT_MORE = "Показаны последние {count}. Уточните фильтр, чтобы увидеть остальные."
COL_WHEN = "Когда"
COL_ACTION = "Действие"
COL_OBJECT = "Объект"
COL_DETAILS = "Подробности"
AUDIT_OBJECT = {
    "ticket": "обращение",
    "callback": "обратный звонок",
    "user": "сотрудник",
    "organization": "организация",
    "slot": "дежурство",
    "exception": "изменение графика",
    "calendar": "календарь",
    "topic": "тема",
    "prompt": "фраза",
    "recording": "запись",
}
ADMIN_AUDIT_ACTION = {
    "org.created": "Добавлена школа",
    "org.updated": "Изменены настройки организации",
    "user.created": "Создана учётная запись сотрудника",
    "user.updated": "Изменён сотрудник",
    "user.deactivated": "Доступ сотрудника отключён",
    "user.activated": "Доступ сотрудника открыт",
    "user.password_reset": "Задан новый пароль",
    "slot.added": "Добавлено дежурство",
    "slot.moved": "Дежурство перенесено",
    "slot.removed": "Дежурство удалено",
    "exception.added": "Изменение графика на дату",
    "exception.removed": "Удалено изменение графика",
    "calendar.set": "Отмечен день календаря",
    "calendar.removed": "Удалена отметка календаря",
    "topic.added": "Добавлена тема",
    "topic.updated": "Изменена тема",
    "prompt.text": "Изменён текст фразы",
    "prompt.audio": "Загружена запись фразы",
    "prompt.reset": "Фраза возвращена к стандартной",
    "retention.audio_deleted": "Аудиозапись удалена по сроку хранения",
}
