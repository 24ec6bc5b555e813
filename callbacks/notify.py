"""Tell staff by e-mail: over SMTP when HELPLINE_SMTP_HOST is set, else only in the log."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage

from core.settings import SmtpSettings

log = logging.getLogger(__name__)


def send_mail(smtp_settings: SmtpSettings, recipients: Iterable[str], subject: str,
              body: str) -> bool:
    """Send one message to every recipient; True when an SMTP server accepted it."""
    to = sorted({r.strip() for r in recipients if r and r.strip()})
    if not to:
        log.info("mail %r has no recipients", subject)
        return False
    host = smtp_settings.host
    if not host:
        log.info("mail (local mode, not sent) to %s recipient(s): %s", len(to), subject)
        return False
    message = EmailMessage()
    message["From"] = smtp_settings.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(host, smtp_settings.port, timeout=smtp_settings.timeout) as smtp:
            if smtp_settings.starttls:
                smtp.starttls()
            if smtp_settings.username:
                smtp.login(smtp_settings.username, smtp_settings.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail %r not sent: %s", subject, exc)
        return False
    log.info("mail sent to %s recipient(s): %s", len(to), subject)
    return True
