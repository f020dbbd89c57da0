"""The text views under public names: what ``hfs-pathway evaluate`` and ``guideline show`` print."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._guideline import Guideline
    from ._results import Evaluation


def format_report(evaluation: Evaluation) -> str:
    """The evaluation as the plain-text report a clinician reads in a terminal (``hfs-pathway evaluate``):
    stage, next steps with due dates, alerts by severity, toxin cycles and the risk-benefit assessment."""
    from ._text import render_evaluation

    return render_evaluation(evaluation)


def format_guideline(guideline: Guideline) -> str:
    """The guideline's parameters as plain text (``hfs-pathway guideline show``): value, unit and evidence."""
    from ._text import render_guideline

    return render_guideline(guideline)
