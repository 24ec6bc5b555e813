"""An alias of `core.worktime`, kept while older branches land; new code imports `core`."""

import sys

from core import worktime

sys.modules[__name__] = worktime
