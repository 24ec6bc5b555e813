"""An alias of `core.russian`, kept while older branches land; new code imports `core`."""

import sys

from core import russian

sys.modules[__name__] = russian
