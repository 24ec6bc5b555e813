"""An alias of `core.catalogue`, kept while older branches land; new code imports `core`."""

import sys

from core import catalogue

sys.modules[__name__] = catalogue
