"""The diagnostic work-up (revision 2: R2.1-R2.3, R2.14, R2.15): which imaging a presentation or a red flag
calls for, what closes that work-up, and what is still outstanding.

The work-up has a *tier*: ``urgent`` (a new or progressive deficit, a fast course, a child; contrast MRI within
``urgent_imaging_due_days``), ``contrast`` (features that favour a secondary cause without being emergencies;
contrast MRI within ``mri_due_days``) or ``routine`` (MRI with high-resolution T2 and angiography within
``mri_due_days``). It is *open* until a study *closes* it, *closed* by a study that answers its question, or
*declined* when the patient refused imaging after being informed. A study that does not close it leaves it open
and the order outstanding in every later stage.

Everything here is a pure function of events, dates and guideline parameters. The rules call
:func:`open_workup` (or :func:`require_imaging` on a record) to open or raise a work-up and :func:`judge_study`
when a study is recorded; the advice calls :func:`outstanding_order` and :func:`undocumented`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from ._dates import age_on
from ._dates import days as _days
from ._vocabulary import (
    SECONDARY_CAUSE_FINDINGS,
    ImagingFinding,
    Modality,
    MriNotPossible,
    OnsetRegion,
    RedFlagFinding,
    Severity,
    Side,
)

if TYPE_CHECKING:
    from ._case import Patient
    from ._events import ImagingResult, Presentation, RedFlag
    from ._guideline import Guideline
    from ._record import Record


class WorkupTier(StrEnum):
    """How much imaging the work-up needs, and how soon."""

    ROUTINE = "routine"
    """MRI with high-resolution T2 and angiography, within ``mri_due_days``."""
    CONTRAST = "contrast"
    """Contrast-enhanced MRI, within ``mri_due_days``: features that favour a secondary cause."""
    URGENT = "urgent"
    """Contrast-enhanced MRI within ``urgent_imaging_due_days``: a new or progressive deficit or a fast course."""

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def needs_contrast(self) -> bool:
        return self is not _ROUTINE

    @property
    def order(self) -> str:
        """The code of the recommendation that orders this tier's study."""
        return _ORDER[self]


_RANK = {WorkupTier.ROUTINE: 0, WorkupTier.CONTRAST: 1, WorkupTier.URGENT: 2}
_ORDER = {
    WorkupTier.ROUTINE: "order_mri",
    WorkupTier.CONTRAST: "order_contrast_mri",
    WorkupTier.URGENT: "urgent_contrast_mri",
}


class WorkupStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    DECLINED = "declined"
    """Declined with informed refusal: the order is no longer pursued, and the checkpoint needs an override."""


# Members read on every event, bound to module names once for speed: under Python 3.11 each ``Enum.MEMBER``
# look-up goes through ``EnumType.__getattr__`` and costs about 100 ns, twenty times a module global.
_ROUTINE, _CONTRAST, _URGENT = WorkupTier.ROUTINE, WorkupTier.CONTRAST, WorkupTier.URGENT
_OPEN, _CLOSED, _DECLINED = WorkupStatus.OPEN, WorkupStatus.CLOSED, WorkupStatus.DECLINED
_MRI, _NOT_CODED = Modality.MRI, ImagingFinding.NOT_CODED

_new_tuple = tuple.__new__
_LOWER_FACE, _UNKNOWN_REGION, _BILATERAL = OnsetRegion.LOWER_FACE, OnsetRegion.UNKNOWN, Side.BILATERAL
_TONIC_CONTRACTION = RedFlagFinding.TONIC_CONTRACTION


class Workup(NamedTuple):
    """The imaging work-up in force: its tier, dates and what has been done about it."""

    tier: WorkupTier
    opened: dt.date
    """The presentation, red flag or other event that opened (or last raised) it: only studies dated on or after
    this day can close it."""
    due: dt.date
    reasons: tuple[str, ...]
    """The features that set the tier, in words."""
    status: WorkupStatus = WorkupStatus.OPEN
    incomplete: bool = False
    """A study that cannot close this tier (wrong modality or no contrast) is on record."""
    not_coded_study: dt.date | None = None
    """The date of a study that would close the tier but whose finding is not recorded in structured form."""
    booked_for: dt.date | None = None
    claustrophobia: bool = False
    """MRI was not possible because of claustrophobia: sedation or an open scanner may make it possible."""
    acute: dt.date | None = None
    """The date of an acute deficit that calls for emergency assessment."""
    closed_with: ImagingResult | None = None
    """The study that closed it (see :attr:`closed_by`)."""

    @property
    def is_open(self) -> bool:
        return self.status is _OPEN

    @property
    def closed_by(self) -> str | None:
        """How it was closed, in words; ``None`` unless a study closed it."""
        # Worded when read rather than when closed: nearly every study closes a work-up, few are ever described.
        s = self.closed_with
        if s is None:
            return None
        if s.finding.is_secondary_cause:
            # The question the work-up asks is answered: the cause's own specialty takes over its imaging.
            return "a secondary cause was found"
        kind = "MRI" if s.modality is _MRI else "CT"
        contrast = " with contrast" if s.contrast else " without contrast"
        return f"{kind}{contrast} on {s.date.isoformat()}"

    def closed(self, study: ImagingResult) -> Workup:
        """The work-up closed by ``study``: no study awaits its finding any more."""
        # Built field by field as a plain tuple rather than with ``_replace`` (five times the cost): nearly every
        # study closes a work-up.
        tier, opened, due, reasons, _, incomplete, _, booked_for, claustrophobia, acute, _ = self
        fields = (tier, opened, due, reasons, _CLOSED, incomplete, None, booked_for, claustrophobia, acute, study)
        return _new_tuple(Workup, fields)

    @property
    def outstanding(self) -> str | None:
        """The code of what is still to be done, or ``None`` once closed or declined.

        A study on record with the modality and contrast the tier needs is not re-ordered: its finding is to be
        recorded (``record_imaging_finding``).
        """
        # ``is_open`` and ``tier.order`` spelt out: read at every evaluation, a property call costs more than its test.
        if self.status is not _OPEN:
            return None
        if self.not_coded_study is not None:
            return "record_imaging_finding"
        return _ORDER[self.tier]


# Tiers ------------------------------------------------------------------------------------------------------

DEFICITS = (
    ("facial_weakness", "facial weakness"),
    ("facial_numbness", "facial numbness"),
    ("hearing_loss", "hearing loss"),
    ("other_cranial_nerve_signs", "other cranial nerve signs"),
    ("long_tract_or_cerebellar_signs", "long-tract or cerebellar signs"),
)
"""Neurological deficits: urgent unless recorded as long-standing and stable (R2.15)."""

EXAMINATION = (*DEFICITS, ("tonic_contraction", "tonic contraction"), ("rapid_progression", "rapid progression"))
"""The examination findings that may be ``None`` (not examined or not documented)."""

HISTORY_FEATURES = (
    ("tonic_contraction", "tonic contraction"),
    ("multiple_sclerosis", "multiple sclerosis"),
    ("facial_trauma", "facial trauma"),
    ("prior_facial_palsy", "a previous facial palsy"),
    ("prior_posterior_fossa_or_parotid_lesion", "a previous posterior fossa or parotid lesion"),
    ("facial_pain", "facial pain"),
    ("head_neck_or_skin_cancer_history", "a history of head and neck or skin cancer"),
)
"""Findings and history that favour a secondary cause without being emergencies: the contrast tier."""

# For speed, each reads its findings from a presentation's fields in one call, in the order above (``vars(p)``:
# one look-up on the model, then plain dictionary reads, each a tenth of a read of the model's attribute). Most
# presentations have none of them: one comparison with ``_NORMAL_EXAMINATION`` or ``_NO_HISTORY`` then skips the
# loops over the names. ``_course_of`` reads the rest of what every presentation's features need, likewise.
_examination_of = itemgetter(*(name for name, _ in EXAMINATION))
_history_of = itemgetter(*(name for name, _ in HISTORY_FEATURES))
_course_of = itemgetter("date", "symptom_onset_date", "rapid_progression", "acute_onset", "onset_region", "side")
_NORMAL_EXAMINATION = (False,) * len(EXAMINATION)
_NO_HISTORY = (False,) * len(HISTORY_FEATURES)


def _unexamined(examination: tuple[bool | None, ...]) -> list[str]:
    """The examination findings left ``None`` (not examined or not documented) in words, from ``_examination_of``."""
    if examination == _NORMAL_EXAMINATION:
        return []
    return [text for (_, text), value in zip(EXAMINATION, examination, strict=True) if value is None]


class PresentationFeatures(NamedTuple):
    """What a presentation says about the work-up."""

    urgent: tuple[str, ...]
    contrast: tuple[str, ...]
    acute: bool
    onset_age: int | None
    tier: WorkupTier
    """``urgent`` with any urgent feature, else ``contrast`` with any contrast feature, else ``routine``."""
    bilateral: bool
    """Spasm on both sides of the face (a contrast feature, with an alert of its own)."""
    lower_face_onset: bool
    """Spasm began in the lower face (a contrast feature, with an alert of its own)."""


def onset_age(presentation: Presentation, birth_date: dt.date | None) -> int | None:
    """Age at onset: from the symptom onset date when recorded, else the presentation date."""
    if birth_date is None:
        return None
    return age_on(birth_date, presentation.symptom_onset_date or presentation.date)


def presentation_features(p: Presentation, birth_date: dt.date | None, g: Guideline) -> PresentationFeatures:
    """Sort a presentation's findings and history into the urgent and contrast tiers (R2.1, R2.14, R2.15)."""
    urgent: list[str] = []
    contrast: list[str] = []
    fields = p.__dict__  # ``vars(p)`` without the call
    date, onset_date, rapid_progression, acute, onset_region, side = _course_of(fields)
    progressive = rapid_progression is True
    examination = _examination_of(fields)
    examined_normal = examination == _NORMAL_EXAMINATION  # no finding, none missing: the usual presentation
    if not examined_normal:
        for (name, text), value in zip(DEFICITS, examination[: len(DEFICITS)], strict=True):
            if value is not True:
                continue
            explained = name == "facial_weakness" and p.prior_facial_palsy
            if progressive:
                urgent.append(text)
            elif p.deficits_stable:
                contrast.append(f"long-standing stable {text}")
            elif explained:
                contrast.append("facial weakness explained by the previous facial palsy")
            else:
                urgent.append(text)
    if progressive:
        urgent.append("rapid progression")
    if acute:
        urgent.append("a deficit of acute onset")
    age = None
    if birth_date is not None:
        age = age_on(birth_date, onset_date or date)  # ``onset_age`` spelt out: one call fewer
        child = g.paediatric_age_years
        # No one is younger at presentation than at onset: the age at presentation is needed only after a child's
        # onset.
        if age < child and age_on(birth_date, date) < child:
            urgent.append(f"onset in childhood (age {age})")
        elif age < g.young_onset_age_years:
            contrast.append(f"onset at age {age}, before {g.young_onset_age_years}")
    lower_face_onset = onset_region is _LOWER_FACE
    if lower_face_onset:
        contrast.append("onset in the lower face")
    bilateral = side is _BILATERAL
    if bilateral:
        contrast.append("spasm on both sides of the face")
    history = _history_of(fields)
    if history != _NO_HISTORY:
        contrast += [text for (_, text), value in zip(HISTORY_FEATURES, history, strict=True) if value is True]
    if not examined_normal:
        missing = _unexamined(examination)
        if missing:
            contrast.append("not examined or not documented: " + ", ".join(missing))
    tier = _URGENT if urgent else _CONTRAST if contrast else _ROUTINE
    # Built from its fields in order, in one C call: the named tuple's constructor is a Python function.
    features = (tuple(urgent), tuple(contrast), acute, age, tier, bilateral, lower_face_onset)
    return _new_tuple(PresentationFeatures, features)


def undocumented(p: Presentation | None, patient: Patient) -> tuple[str, ...]:
    """What the pathway needs but the record does not say (R2.13, R2.15): ``document_presentation`` lists them."""
    if p is None:
        return ()
    fields = p.__dict__  # ``vars(p)`` without the call; its onset region read from it too (see ``_examination_of``)
    missing = _unexamined(_examination_of(fields))
    if patient.birth_date is None:
        missing.append("birth date (age at onset)")
    if fields["onset_region"] is _UNKNOWN_REGION:
        missing.append("where the spasm began")
    return tuple(missing)


def red_flag_tier(flag: RedFlag) -> WorkupTier:
    """A tonic contraction is a contrast-tier feature (HFS itself may be tonic); the other red flags are urgent,
    and an acute deficit always is (R2.14, R2.15)."""
    if flag.finding is _TONIC_CONTRACTION and not flag.acute_onset:
        return _CONTRAST
    return _URGENT


# Opening ----------------------------------------------------------------------------------------------------


def open_workup(
    current: Workup | None,
    tier: WorkupTier,
    on: dt.date,
    reasons: tuple[str, ...],
    g: Guideline,
    *,
    acute: bool = False,
) -> Workup:
    """The work-up after an event on ``on`` that calls for ``tier`` imaging for ``reasons``.

    Only a study dated on or after ``on`` can close it. An open work-up is raised, never lowered: the higher of the
    two tiers applies, and an urgent due date never moves later (the earliest stands, R2.15). A closed or declined
    work-up is replaced by a new one.
    """
    due = on + _days(g.urgent_imaging_due_days if tier is _URGENT else g.mri_due_days)
    # A fresh work-up is built as a plain tuple in the order of its fields: the named constructor with a keyword
    # costs twice as much, on every presentation. A test checks that both build the same.
    if current is None or current.status is not _OPEN:  # not ``is_open``: a property call costs more than its test
        fields = (tier, on, due, reasons, _OPEN, False, None, None, False, on if acute else None, None)
        return _new_tuple(Workup, fields)
    if current.tier.rank > tier.rank:
        tier, due = current.tier, current.due
    elif current.tier is _URGENT and tier is _URGENT:
        due = min(due, current.due)
    return Workup(
        tier,
        on,
        due,
        (*current.reasons, *(r for r in reasons if r not in current.reasons)),
        claustrophobia=current.claustrophobia,
        acute=on if acute else current.acute,
    )


def require_imaging(record: Record, tier: WorkupTier, on: dt.date, reason: str, g: Guideline) -> None:
    """Open (or raise) the work-up of ``record`` for a reason given in words, e.g. a recurrence after a secondary
    cause was treated. For rules of other stage groups; the record is the change's private copy (``c.after``)."""
    record.workup = open_workup(record.workup, tier, on, (reason,), g)


# Studies ----------------------------------------------------------------------------------------------------


class Finding(NamedTuple):
    """An alert a study raises about the work-up: its code, severity and case-specific text."""

    code: str
    severity: Severity | None
    """``None`` for the catalogue's severity."""
    text: str


def _closes(w: Workup, s: ImagingResult) -> tuple[bool, str | None]:
    """Whether the study, once its finding is known, closes the work-up, and the warning that goes with it."""
    if s.date < w.opened:
        return False, None
    if s.modality is _MRI:
        if s.contrast or w.tier is _ROUTINE:  # ``not w.tier.needs_contrast`` without the property call, per study
            return True, None
        if s.contrast_withheld is not None:
            return True, ("contrast_withheld" if w.tier is _URGENT else None)
        return False, None
    possible = s.mri_not_possible
    if possible is None or possible is MriNotPossible.CLAUSTROPHOBIA:
        return False, None
    if w.tier.needs_contrast and not s.contrast:
        return False, None
    return True, "ct_limits"


def judge_study(w: Workup | None, s: ImagingResult) -> tuple[Workup | None, tuple[Finding, ...]]:
    """The work-up after a study (its finding as coded so far), and the alerts the study raises about it (R2.2,
    R2.14, R2.15)."""
    if w is None:
        return None, ()
    finding = s.finding  # read once: a model's attribute read is slow
    if finding in SECONDARY_CAUSE_FINDINGS:  # ``is_secondary_cause`` without the property call, on every study
        # The question the work-up asks is answered: the cause's own specialty takes over its imaging.
        return w.closed(s), ()
    closes, warning = _closes(w, s)
    status = w.status
    if status is not _OPEN:  # not ``w.is_open``: a property call costs twice the comparison, on every study
        if status is WorkupStatus.DECLINED and closes and finding is not _NOT_CODED:
            return w.closed(s), _close_warnings(w, s, warning)
        return w, ()
    if closes:
        if finding is _NOT_CODED:
            return w._replace(not_coded_study=s.date, claustrophobia=_claustrophobia(w, s)), ()
        return w.closed(s), (() if warning is None else _close_warnings(w, s, warning))
    severity = Severity.CRITICAL if w.tier is WorkupTier.URGENT else Severity.WARNING
    incomplete = Finding("imaging_workup_incomplete", severity, _incomplete_text(w, s))
    return w._replace(incomplete=True, claustrophobia=_claustrophobia(w, s)), (incomplete,)


def _claustrophobia(w: Workup, s: ImagingResult) -> bool:
    return w.claustrophobia or s.mri_not_possible is MriNotPossible.CLAUSTROPHOBIA


def _close_warnings(w: Workup, s: ImagingResult, warning: str | None) -> tuple[Finding, ...]:
    if warning == "ct_limits":
        reason = s.mri_not_possible.value.replace("_", " ") if s.mri_not_possible else "not recorded"
        return (
            Finding(
                "ct_limits",
                None,
                f"The {w.tier.value} work-up was closed by CT because MRI was not possible ({reason}); CT cannot "
                "exclude small lesions or demyelination.",
            ),
        )
    if warning == "contrast_withheld":
        reason = (s.contrast_withheld or "not recorded").replace("_", " ")
        return (
            Finding(
                "contrast_withheld",
                None,
                f"The urgent work-up was closed by an MRI without contrast (contrast withheld: {reason}); small "
                "lesions and inflammation may be missed.",
            ),
        )
    return ()


def _incomplete_text(w: Workup, s: ImagingResult) -> str:
    needed = "an MRI with contrast" if w.tier.needs_contrast else "an MRI"
    if s.date < w.opened:
        why = f"it is dated before the red flag of {w.opened.isoformat()}"
    elif s.modality is Modality.CT:
        why = "CT cannot show the nerve and vessel or exclude small lesions"
        if s.mri_not_possible is MriNotPossible.CLAUSTROPHOBIA:
            why += " (MRI was not possible because of claustrophobia: consider sedation or an open scanner)"
    else:
        why = "it was done without contrast"
    return f"The {w.tier.value} work-up needs {needed}; this study does not complete it: {why}."


# Checkpoint -------------------------------------------------------------------------------------------------


def override_reasons(w: Workup | None, latest_finding: ImagingFinding | None) -> list[str]:
    """Why the imaging work-up asks for a recorded override before a referral for MVD (R2.2, R2.15)."""
    reasons = []
    pending = False  # an open work-up's study awaits its finding
    if w is not None:
        # The status read once and ``is_open`` spelt out: a property call costs more than its test, per referral.
        status = w.status
        if status is _DECLINED:
            reasons.append("the imaging work-up was declined")
        elif status is _OPEN:
            pending = w.not_coded_study is not None
            if not pending:
                reasons.append(f"the {w.tier.value} imaging work-up is incomplete")
    if latest_finding is _NOT_CODED or pending:
        reasons.append("the finding of the latest imaging is not recorded")
    return reasons
