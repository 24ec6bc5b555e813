"""An alias of `core.telephony`, kept while older branches land; new code imports `core`."""

import sys

from core import telephony

sys.modules[__name__] = telephony
