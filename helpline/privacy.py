"""An alias of `core.privacy`, kept while older branches land; new code imports `core`."""

import sys

from core import privacy

sys.modules[__name__] = privacy
