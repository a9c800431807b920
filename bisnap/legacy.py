"""The legacy (non-SNAP) Midtrans signatures (moved to `bisnap.notifications.legacy`).

This import path keeps working: every public name is re-exported here.
"""

from bisnap.notifications import legacy as _moved
from bisnap.notifications.legacy import *  # noqa: F403 - every public name, re-exported

__all__ = list(_moved.__all__)
