"""Default settings. Real values come from HELPLINE_* environment variables.

Every name here can be overridden by an environment variable with the ``HELPLINE_`` prefix
(``HELPLINE_DATABASE_URL=...``); values are JSON-decoded where possible (``30`` -> int,
``false`` -> False). See ``.env.example`` for the documented list.
"""

# Database URL; empty = an SQLite file in the instance folder (embedded default).
DATABASE_URL = ""
# Signs sessions and CSRF tokens. Required outside debug/testing.
SECRET_KEY = ""
# Public base URL Twilio calls (https://help.school.ru); used to check webhook signatures.
PUBLIC_URL = "http://127.0.0.1:5000"
# "local" (the built-in simulator, no Twilio) or "twilio".
TELEPHONY = "local"
TWILIO_ACCOUNT_SID = ""
TWILIO_AUTH_TOKEN = ""
# Auth token the local simulator signs with when TELEPHONY=local and no Twilio token is set;
# empty = generated once and kept in DATA_DIR/local-simulator.token (readable by us only).
LOCAL_AUTH_TOKEN = ""
# Only for local runs: skip X-Twilio-Signature checks. Refused with TELEPHONY=twilio.
TWILIO_SIGNATURE_CHECK = True
# Speech engine for voice messages: "vosk" (the default) or "whisper" (faster-whisper).
ASR_ENGINE = "vosk"
# The engine's model directory; empty = HELPLINE_VOSK_MODEL for Vosk, else an installed model
# found at start (<data dir>/models, or the whisper-base PyPI packages).
ASR_MODEL = ""
# Without a model set above, use an installed one (see ASR_MODEL); off = only what is set.
ASR_AUTODETECT = True
# Directory of an unpacked Vosk model (e.g. data/models/vosk-model-small-ru-0.22).
VOSK_MODEL = ""
# Whisper decoding (see transcription/whisper.py): beam width, fallback temperatures,
# skipping silence, int8 on CPU, threads per worker (0 = all cores), an initial prompt
# (none by default: the ones measured made transcripts worse; see README).
ASR_LANGUAGE = "ru"
ASR_BEAM_SIZE = 5
ASR_TEMPERATURE = "0 0.2 0.4 0.6 0.8 1.0"
ASR_VAD_FILTER = True
ASR_COMPUTE_TYPE = "int8"
ASR_CPU_THREADS = 0
ASR_INITIAL_PROMPT = ""
# Recordings, downloaded models; empty = <instance>/data.
DATA_DIR = ""
# Password of the demo users; empty = generated and printed once by `helpline demo`.
DEMO_PASSWORD = ""
# Voice and language of <Say>; a voice must match the language.
TTS_VOICE = "Polly.Tatyana"
TTS_LANGUAGE = "ru-RU"
# Seconds a consultant's phone rings before the caller is offered a voice message.
DIAL_TIMEOUT = 20
# Run the in-process scheduler and transcription worker (embedded default).
SCHEDULER_ENABLED = True
# Reverse proxies in front of the app (nginx before gunicorn: 1). Their X-Forwarded-For and
# X-Forwarded-Proto are trusted for that many hops, so the login rate limit and the audit see
# the user's address, not the proxy's. Keep 0 when clients reach the app directly: otherwise
# anyone could pick the address the rate limit counts.
PROXY_COUNT = 0
# Log level of the application logger.
LOG_LEVEL = "INFO"
# Inside a Twilio webhook: seconds to wait for a database lock (SQLite busy timeout,
# PostgreSQL lock_timeout) and for one statement (PostgreSQL statement_timeout). Twilio
# waits 15 s in all; a webhook that cannot get the database answers TwiML that keeps the
# message (a ticket, or a line in the spool the scheduler replays).
WEBHOOK_DB_TIMEOUT = 2
WEBHOOK_STATEMENT_TIMEOUT = 5
# Largest webhook body in bytes (Twilio's forms are a few kB): a bigger one is a 413.
WEBHOOK_MAX_BYTES = 65536
# Largest request body in bytes (the browser phone uploads WAVs of up to 10 MB).
MAX_CONTENT_LENGTH = 12 * 1024 * 1024
# Recording hosts besides Twilio's own (api.twilio.com, api.<edge>.<region>.twilio.com) that
# may receive the account's credentials, comma-separated. Empty: Twilio's only.
MEDIA_HOSTS = ""
# Recording downloads: attempts and first back-off delay in seconds.
DOWNLOAD_ATTEMPTS = 4
DOWNLOAD_BACKOFF = 2.0
# Flask-SQLAlchemy: don't track modifications (we never use the signal).
SQLALCHEMY_TRACK_MODIFICATIONS = False
