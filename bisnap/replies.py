"""What the merchant answers to a notification (moved to `bisnap.notifications.replies`).

This import path keeps working: every public name is re-exported here.
"""

from bisnap.notifications.replies import (
    SUCCESS_MESSAGE,
    UNAUTHORIZED_MESSAGE,
    UNKNOWN_SERVICE_CODE,
    NotificationReply,
    OnDuplicate,
    bad_request_reply,
    conflict_reply,
    general_error_reply,
    invalid_field_reply,
    missing_field_reply,
    reply_for_error,
    store_unavailable_reply,
    success_reply,
    unauthorized_reply,
)

__all__ = [
    "SUCCESS_MESSAGE",
    "UNAUTHORIZED_MESSAGE",
    "UNKNOWN_SERVICE_CODE",
    "NotificationReply",
    "OnDuplicate",
    "bad_request_reply",
    "conflict_reply",
    "general_error_reply",
    "invalid_field_reply",
    "missing_field_reply",
    "reply_for_error",
    "store_unavailable_reply",
    "success_reply",
    "unauthorized_reply",
]
