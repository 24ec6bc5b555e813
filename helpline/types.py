"""An alias of `core.types`, kept while older branches land; new code imports `core`."""

import sys

from core import types

sys.modules[__name__] = types
