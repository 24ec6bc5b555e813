"""Decoding hints for the recognizers: text the engine reads, never a caller.

An initial prompt is the text Whisper takes to precede the audio: it sets the style it
writes in (digits for numbers, a class as «5 Б») and the vocabulary it expects. The
numbers and names in it are invented; none is a real person's.
"""

# The style of a Russian voicemail to a school's help line. No digits: a number in the
# prompt leaks into transcripts («900 123» turned up inside callers' numbers).
VOICEMAIL_PROMPT = (
    "Здравствуйте, меня зовут Анна, сын учится в 4 Б классе. Не могу зайти в электронный "
    "дневник, пишет неверный пароль. Перезвоните, пожалуйста."
)
