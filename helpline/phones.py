"""An alias of `core.phones`, kept while older branches land; new code imports `core`."""

import sys

from core import phones

sys.modules[__name__] = phones
