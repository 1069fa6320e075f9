"""Case services: every action on a case, from the consultation to the archive. Each is one
use case: keyword-only, permission-checked, guarded by `workflow.check`, atomic, one event and
one timeline line. Every action names the case revision it was decided on; if somebody else
changed the case meanwhile, the action is refused with a conflict instead of overwriting their
work. An action may carry an earlier `occurred_at` (补录, work done on paper while offline):
it needs a reason, stays within the back-entry window and is marked in the timeline.

The actions live in one module per part of the lifecycle; this package is their one door."""

from bangban.cases.services.checking import (
    case_accept,
    case_refuse,
    deficiency_receive,
    notice_issue,
    supplement_receive,
)
from bangban.cases.services.closing import (
    case_archive,
    case_complete,
    case_deliver,
    case_terminate,
    rating_record,
)
from bangban.cases.services.common import (
    BACK_ENTRY_DAYS,
    CASE_ROLES,
    MANAGER_ACTIONS,
    POINT_LEVELS,
    may_register,
    permission_refusal,
    works_on,
)
from bangban.cases.services.handovers import (
    handover_record,
    incident_resolve,
)
from bangban.cases.services.public import (
    booking_make,
    booking_mark,
    case_apply_online,
    case_track,
    phone_code_send,
    phone_code_verify,
    photo_open,
    rating_record_public,
    slots_available,
)
from bangban.cases.services.registration import (
    case_register,
    consultation_log,
    registered_items,
)
from bangban.cases.services.tiers import (
    case_escalate,
    case_transfer,
    meeting_record,
    message_post,
)
from bangban.cases.services.work import (
    agreement_sign,
    case_assign,
    case_pause,
    case_resume,
    case_start,
    case_supervise,
    milestone_done,
    plan_agree,
    task_decide,
    task_submit,
    task_urge,
)
from bangban.cases.services.worklog import (
    notifications_read,
    work_note_add,
)

__all__ = [
    "BACK_ENTRY_DAYS",
    "CASE_ROLES",
    "MANAGER_ACTIONS",
    "POINT_LEVELS",
    "agreement_sign",
    "booking_make",
    "booking_mark",
    "case_accept",
    "case_apply_online",
    "case_archive",
    "case_assign",
    "case_complete",
    "case_deliver",
    "case_escalate",
    "case_pause",
    "case_refuse",
    "case_register",
    "case_resume",
    "case_start",
    "case_supervise",
    "case_terminate",
    "case_track",
    "case_transfer",
    "consultation_log",
    "deficiency_receive",
    "handover_record",
    "incident_resolve",
    "may_register",
    "meeting_record",
    "message_post",
    "milestone_done",
    "notice_issue",
    "notifications_read",
    "permission_refusal",
    "phone_code_send",
    "phone_code_verify",
    "photo_open",
    "plan_agree",
    "rating_record",
    "rating_record_public",
    "registered_items",
    "slots_available",
    "supplement_receive",
    "task_decide",
    "task_submit",
    "task_urge",
    "work_note_add",
    "works_on",
]
