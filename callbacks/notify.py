"""Tell staff by e-mail: over SMTP when HELPLINE_SMTP_HOST is set, else only in the log."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage

from callbacks import settings

log = logging.getLogger(__name__)


def send_mail(recipients: Iterable[str], subject: str, body: str) -> bool:
    """Send one message to every recipient; True when an SMTP server accepted it."""
    to = sorted({r.strip() for r in recipients if r and r.strip()})
    if not to:
        log.info("mail %r has no recipients", subject)
        return False
    host = str(settings.get("SMTP_HOST") or "")
    if not host:
        log.info("mail (local mode, not sent) to %s recipient(s): %s", len(to), subject)
        return False
    message = EmailMessage()
    message["From"] = str(settings.get("SMTP_SENDER"))
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(host, int(settings.get("SMTP_PORT")),
                          timeout=float(settings.get("SMTP_TIMEOUT"))) as smtp:
            if settings.get("SMTP_STARTTLS"):
                smtp.starttls()
            user = str(settings.get("SMTP_USERNAME") or "")
            if user:
                smtp.login(user, str(settings.get("SMTP_PASSWORD") or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail %r not sent: %s", subject, exc)
        return False
    log.info("mail sent to %s recipient(s): %s", len(to), subject)
    return True
