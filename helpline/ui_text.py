"""An alias of `core.ui_text`, kept while older branches land; new code imports `core`."""

import sys

from core import ui_text

sys.modules[__name__] = ui_text
