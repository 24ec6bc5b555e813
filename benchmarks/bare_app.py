"""The yardstick of benchmarks/webhooks.py: a bare Flask endpoint answering constant TwiML.

    gunicorn -w 2 -b 127.0.0.1:18102 benchmarks.bare_app:app
"""

from flask import Flask, Response

app = Flask(__name__)
TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Say language="ru-RU" '
         'voice="Polly.Tatyana">Здравствуйте</Say><Hangup/></Response>')


@app.post("/ivr/<path:step>")
def webhook(step: str):
    return Response(TWIML, mimetype="text/xml")
