"""What a newly retracted reference means for a conclusion: is a decision recorded?

A retraction that `dossier retractions update` or `lookup` found new (`Notice.found`) under
a standing conclusion is an error until the writer records a decision, even when the
conclusion has other, sound evidence: either a reassessment (``revision`` of kind
``under_reassessment``) or a dated review (``reviews``) that names the reference and says
why the conclusion still stands. A review dated before the retraction cannot have answered
it. Corrections and expressions of concern never need one (they are warnings). The check
(`retraction-undecided`) and the update's report ask these functions, so they agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tooling.dates import PartialDate
from tooling.model import Conclusion, Review
from tooling.retractions import Notice

__all__ = ["Decision", "decision", "needs_decision", "outdated_reviews"]


@dataclass(frozen=True)
class Decision:
    """A decision recorded about a retracted reference under a conclusion."""

    kind: str  # "review", "reassessment", or "revision" (the conclusion no longer stands)
    date: PartialDate
    reason: str


def _since(notice: Notice) -> PartialDate | None:
    """The day a review must not precede: the retraction's date, else when it was found."""
    if notice.date is not None:
        return PartialDate.of(notice.date)
    try:
        return PartialDate.of(dt.date.fromisoformat(notice.found)) if notice.found else None
    except ValueError:
        return None


def _answers(review: Review, key: str, notice: Notice) -> bool:
    since = _since(notice)
    return key in review.references and (since is None or not review.date.surely_before(since))


def decision(conclusion: Conclusion, key: str, notice: Notice) -> Decision | None:
    """The decision recorded about reference ``key`` (with ``notice``) under ``conclusion``."""
    revision = conclusion.revision
    if revision is not None:
        kind = "reassessment" if revision.kind == "under_reassessment" else "revision"
        return Decision(kind, revision.date, revision.reason)
    for review in conclusion.reviews:
        if _answers(review, key, notice):
            return Decision("review", review.date, review.reason)
    return None


def needs_decision(conclusion: Conclusion, key: str, notice: Notice | None) -> bool:
    """Whether ``key`` under ``conclusion`` is a newly found retraction nobody decided on."""
    return (
        notice is not None
        and notice.nature.invalidates
        and bool(notice.found)
        and decision(conclusion, key, notice) is None
    )


def outdated_reviews(conclusion: Conclusion, key: str, notice: Notice) -> list[Review]:
    """Reviews that name ``key`` but are dated before its retraction (so cannot answer it)."""
    return [r for r in conclusion.reviews if key in r.references and not _answers(r, key, notice)]
