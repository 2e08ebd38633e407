"""Satisfaction surveys (好差评): the domain's public face. Other domains, the console and the CLI call
``surveys_service.*`` only; the rules live in invitations (once, restraint, delivery), responses (one
rating, the correction window, 追评, the bad review's case), rectification (putting it right, 申诉复核)
and figures (满意率 with its denominator)."""

from __future__ import annotations

from app.surveys.definitions import (  # noqa: F401  re-exported
    BAD,
    LEVELS,
    SATISFIED,
    Survey,
    SurveyFileInvalid,
    SurveyVersionChanged,
    check_files,
    current,
    used,
)
from app.surveys.figures import COLUMNS, GROUPS, Row, compute, csv_rows, shown, tile  # noqa: F401  re-exported
from app.surveys.invitations import (  # noqa: F401  re-exported
    STATE_RATE,
    TYPE_ZH,
    InvitationNotFound,
    RatedToday,
    Receipt,
    ServiceRef,
    TokenRefused,
    by_receipt_code,
    claim_receipt,
    delivered,
    for_case,
    invitation_for_token,
    invitation_text,
    invite,
    invite_case,
    invite_in_reply,
    latest_for,
    make_token,
    receipt_for,
    record_consent,
    resume_pending,
    set_opt_out,
    skip_case,
)
from app.surveys.mine import for_resident as invitations_of_resident  # noqa: F401  re-exported
from app.surveys.mine import of_resident as invitation_of_resident  # noqa: F401  re-exported
from app.surveys.population import Imported, PopulationFileInvalid  # noqa: F401  re-exported
from app.surveys.population import import_csv as import_population  # noqa: F401  re-exported
from app.surveys.rectification import (  # noqa: F401  re-exported
    APPEAL_ZH,
    FINDINGS,
    Review,
    ReviewForbidden,
    ReviewNotFound,
    answer_resident,
    decide_appeal,
    list_bad,
    record_callback,
    rectify,
    request_appeal,
    verify,
)
from app.surveys.rectification import get as get_review  # noqa: F401  re-exported
from app.surveys.rectification import view as view_review  # noqa: F401  re-exported
from app.surveys.responses import (  # noqa: F401  re-exported
    RatingClosed,
    RatingInvalid,
    RatingLocked,
    add_comment,
    answer,
    followup,
    followup_open,
    in_correction_window,
    open_bad_review,
    open_followup_for,
    response_of,
)
