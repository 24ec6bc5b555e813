"""An alias of `core.clock`, kept while older branches land; new code imports `core`."""

import sys

from core import clock

sys.modules[__name__] = clock
