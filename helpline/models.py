"""An alias of `core.models`, kept while older branches land; new code imports `core`."""

import sys

from core import models

sys.modules[__name__] = models
