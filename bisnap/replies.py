"""What the merchant answers to a notification (moved to `bisnap.notifications.replies`).

This import path keeps working: every public name is re-exported here.
"""

from bisnap.notifications import replies as _moved
from bisnap.notifications.replies import *  # noqa: F403 - every public name, re-exported

__all__ = list(_moved.__all__)
