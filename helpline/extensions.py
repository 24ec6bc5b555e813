"""An alias of `core.extensions`, kept while older branches land; new code imports `core`."""

import sys

from core import extensions

sys.modules[__name__] = extensions
