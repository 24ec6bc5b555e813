"""Keep personal data out of the logs."""

import logging

from core.phones import mask_in_text


class MaskPhonesFilter(logging.Filter):
    """Rewrite each record so no full phone number reaches a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install(logger: logging.Logger) -> None:
    """Attach the filter to the logger and to every handler of the root logger."""
    phone_filter = MaskPhonesFilter()
    logger.addFilter(phone_filter)
    for handler in logging.getLogger().handlers:
        handler.addFilter(phone_filter)
