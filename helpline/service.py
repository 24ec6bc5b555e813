"""An alias of `core.service`, kept while older branches land; new code imports `core`."""

import sys

from core import service

sys.modules[__name__] = service
