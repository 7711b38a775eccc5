"""Public notice, objections and the announcement: every change, by a named actor, audited.

The flow for a batch whose proposed list is fixed:

1. `open_notice` publishes the list for N working days from a start date (the end date follows the
   holiday calendar); its entries are frozen copies of the proposed units. `sync_notice` applies
   the phase the dates say: on the first day the applications become 公示中 and the units are
   told; after the last day the province is told. A background task runs it at both dates, and
   every officer read runs it too, so a stopped worker never keeps a notice open.
2. During the period anyone files a real-name objection (`file_objection`); province officers ask
   the city or the unit for an explanation (`send_inquiry` / `answer_inquiry`) and decide it
   (`decide_objection`): upheld removes the unit from the list.
3. When the period is over and every objection is decided, `publish_announcement` recognises the
   remaining units and creates their demonstration unit records.
"""

from shifan.publicity.services.announcements import (
    announcement_defaults,
    announcement_refusal,
    next_priority,
    publish_announcement,
    recommend_nationally,
)
from shifan.publicity.services.base import FieldErrors, PublicityError
from shifan.publicity.services.notices import (
    NoticePeriod,
    cancel_notice,
    end_review,
    notice_period,
    notice_title,
    notices_to_review,
    open_notice,
    schedule_notice,
    settle_notice_end,
    sync_notice,
)
from shifan.publicity.services.objections import (
    EVIDENCE_MAX_FILES,
    EVIDENCE_MAX_MB,
    OBJECTIONS_PER_DAY,
    OBJECTIONS_PER_HOUR,
    ObjectorDetails,
    answer_inquiry,
    can_answer,
    decide_objection,
    file_objection,
    objection_window_refusal,
    record_findings,
    send_inquiry,
)

__all__ = [
    "EVIDENCE_MAX_FILES",
    "EVIDENCE_MAX_MB",
    "OBJECTIONS_PER_DAY",
    "OBJECTIONS_PER_HOUR",
    "FieldErrors",
    "NoticePeriod",
    "ObjectorDetails",
    "PublicityError",
    "announcement_defaults",
    "announcement_refusal",
    "answer_inquiry",
    "can_answer",
    "cancel_notice",
    "end_review",
    "notices_to_review",
    "settle_notice_end",
    "decide_objection",
    "file_objection",
    "next_priority",
    "notice_period",
    "notice_title",
    "objection_window_refusal",
    "open_notice",
    "publish_announcement",
    "recommend_nationally",
    "record_findings",
    "schedule_notice",
    "send_inquiry",
    "sync_notice",
]
