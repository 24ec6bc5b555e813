"""Every sentence the caller hears. Change wording here and nowhere else.

A school may replace any prompt by its own text or by a recorded audio file
(`Organization.prompt_overrides`, edited on the admin pages); the keys are the names below.
Placeholders in {braces} are filled where the prompt is used.
"""

VOICE = "Polly.Tatyana"  # Amazon Polly's Russian voice; must match LANGUAGE
LANGUAGE = "ru-RU"

# greeting
GREETING = "Здравствуйте! Вы позвонили на линию помощи по электронному журналу, {school}."
RECORDED = "Обратите внимание: сообщения записываются."
REPEAT_CALLER = "У вас есть открытое обращение номер {number}. {status}"
REPEAT_STATUS_PLANNED = "Мы перезвоним вам {when}."
REPEAT_STATUS_WORKING = "Консультант уже работает над ним."
REPEAT_STATUS_ESCALATED = "Оно передано в службу поддержки электронного журнала."
REPEAT_ADD = "Чтобы добавить к нему новое сообщение, нажмите 9."
UNKNOWN_NUMBER = "Извините, этот номер не подключён к линии помощи. Пожалуйста, обратитесь в вашу школу."

# role menu
ROLE_MENU = "Если вы родитель или законный представитель ученика, нажмите 1 или скажите «родитель». Если вы сотрудник школы, нажмите 2 или скажите «сотрудник». Чтобы узнать график работы консультанта и контакты службы поддержки, нажмите 3."
NOT_UNDERSTOOD = "Извините, я не поняла ваш выбор."
NO_INPUT = "Извините, я вас не услышала."
TO_VOICEMAIL_AFTER_RETRIES = "Давайте я запишу ваше сообщение, и мы вам перезвоним."

# topic menu
TOPIC_MENU_INTRO = "Выберите тему обращения."
TOPIC_ITEM = "{name} — нажмите {digit}."
TOPIC_SPEECH_HINT = "Вы также можете назвать тему своими словами."

# information (option 3)
INFO_HOURS = "Консультант принимает звонки {hours}."
INFO_CONTACTS = "Телефон школы: {phone}. Электронная почта: {email}."
INFO_SLA = "Обращения по телефону и электронной почте рассматриваются в течение {days}."
INFO_VENDOR = "Если школьный консультант не может помочь, обратитесь в службу поддержки электронного журнала «{journal}»: телефон {phone}{note}, электронная почта {email}. Служба поддержки работает {hours}."
INFO_VENDOR_TRANSFER = "Чтобы соединиться со службой поддержки сейчас, нажмите 1."
INFO_BACK = "Чтобы вернуться в главное меню, нажмите звёздочку."
VENDOR_CONNECTING = "Соединяю со службой поддержки. Оставайтесь на линии."
VENDOR_CLOSED = "Служба поддержки сейчас не работает. Она работает {hours}."

# open: ringing the consultant
CONNECTING = "Соединяю с консультантом. Пожалуйста, оставайтесь на линии."
ALL_BUSY = "К сожалению, все консультанты сейчас заняты."
THANKS_BYE = "Спасибо за звонок. До свидания!"

# closed: the voice message
CLOSED_HOLIDAY = "Сегодня праздничный нерабочий день."
CLOSED_WEEKEND = "Сегодня выходной день."
CLOSED_DAY = "Сегодня консультант не принимает звонки."
CLOSED_HOURS = "Сейчас консультант не принимает звонки."
CLOSED_NOBODY = "Сейчас нет свободного консультанта по этому вопросу."
OPEN_HOURS = "Консультант принимает звонки {hours}."
RECORD_INSTRUCTIONS = "После сигнала оставьте, пожалуйста, сообщение: назовите ваше имя, класс ребёнка, опишите проблему и, если нужно, номер телефона для обратного звонка. Когда закончите, нажмите решётку."
NO_MESSAGE = "Мы не услышали сообщения."

# after the message
TICKET_CREATED = "Ваше обращение номер {number} зарегистрировано."
CALLBACK_PLANNED = "Мы перезвоним вам {when}."
CALLBACK_SOON = "Мы перезвоним вам в ближайшее рабочее время."
OTHER_NUMBER_OFFER = "Чтобы указать другой номер для обратного звонка, нажмите 1."
MESSAGE_ADDED = "Ваше сообщение добавлено к обращению номер {number}."

# callback number by keypad
ENTER_NUMBER = "Введите номер телефона для обратного звонка, 11 цифр, начиная с восьмёрки, и нажмите решётку."
ANON_ENTER_NUMBER = "Ваш номер не определился. Чтобы мы могли вам перезвонить, введите номер телефона, 11 цифр, начиная с восьмёрки, и нажмите решётку."
NUMBER_READBACK = "Вы ввели номер {number}. Если верно, нажмите 1. Чтобы ввести заново, нажмите 2."
NUMBER_INVALID = "Этот номер не похож на российский номер телефона."
NUMBER_SAVED = "Спасибо, номер сохранён. Мы перезвоним вам по этому номеру."
NUMBER_SKIPPED = "Номер не указан. Консультант постарается связаться с вами другим способом."

# failure inside a webhook: the last line of defence
APOLOGY = "Извините, произошла техническая ошибка. Пожалуйста, оставьте сообщение после сигнала, и мы обязательно вам перезвоним. Когда закончите, нажмите решётку."
APOLOGY_SAVED = "Спасибо, ваше сообщение сохранено. Мы вам перезвоним. До свидания!"
