"""The cohort's HTML report: one offline file with charts drawn by matplotlib (inline SVG) and the worklist.

The charts show patients per stage and worklist actions (overdue or not); the table lists the most urgent
rows of the worklist (``report_rows``, default 1000) and says how many the full ``worklist.csv`` holds. The
SVG is made reproducible (fixed ids, no timestamp), so the same cohort gives the same report.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

from ._evaluate import CaseError
from ._worklist import COLUMNS

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1b1f24;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left}
th{background:#f6f8fa}td.n{text-align:right}tr.critical td{background:#ffebe9}tr.warning td{background:#fff8c5}
.note{color:#57606a;font-size:.9rem}.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts figure{margin:0}
"""


def _bar_chart_svg(title: str, labels: list[str], series: list[tuple[str, list[int], str]]) -> str:
    """A horizontal (stacked) bar chart as an inline SVG element, drawn by matplotlib."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.hashsalt": "hfs-pathway-cohort", "svg.fonttype": "none", "font.size": 9}):
        height = max(2.0, 0.32 * len(labels) + 1.0)
        fig, ax = plt.subplots(figsize=(7.0, height))
        try:
            left = [0] * len(labels)
            positions = list(range(len(labels)))
            for name, values, colour in series:
                ax.barh(positions, values, left=left, color=colour, label=name)
                left = [a + b for a, b in zip(left, values, strict=True)]
            for y, total in zip(positions, left, strict=True):
                ax.text(total, y, f" {total:,}", va="center", fontsize=8)
            ax.set_yticks(positions, labels)
            ax.invert_yaxis()
            ax.set_title(title)
            ax.set_xlabel("patients" if len(series) == 1 else "actions")
            ax.spines[["top", "right"]].set_visible(False)
            ax.set_xlim(0, max([*left, 1]) * 1.15)
            if len(series) > 1:
                ax.legend(loc="lower right", frameon=False)
            fig.tight_layout()
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def charts(summary: dict[str, Any]) -> list[str]:
    """The report's charts as SVG elements (empty when matplotlib is not installed)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return []
    stages = [(s, n) for s, n in summary["patients_per_stage"].items() if n]
    worklist = summary["worklist"]
    actions = list(worklist["by_action"].items())
    overdue = worklist["overdue_by_action"]
    made = []
    if stages:
        made.append(
            _bar_chart_svg(
                "Patients per stage", [s for s, _ in stages], [("patients", [n for _, n in stages], "#0969da")]
            )
        )
    if actions:
        late = [overdue.get(a, 0) for a, _ in actions]
        made.append(
            _bar_chart_svg(
                "Worklist actions",
                [a for a, _ in actions],
                [
                    ("overdue", late, "#cf222e"),
                    ("open, not overdue", [n - o for (_, n), o in zip(actions, late, strict=True)], "#54aeff"),
                ],
            )
        )
    return made


def write_report(path: Path, summary: dict[str, Any], top: list[list[str]], errors: list[CaseError]) -> None:
    """Write the HTML report: summary figures, charts, queues, the most urgent worklist rows, the first errors."""
    e = html.escape
    rows_total = summary["worklist"]["rows"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>HFS cohort as of {e(summary['as_of'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Hemifacial spasm cohort as of {e(summary['as_of'])}</h1>",
        f"<p>{summary['cases']:,} cases, {summary['evaluated']:,} evaluated, {summary['errors']:,} not evaluated. "
        f"Guideline {e(summary['guideline']['name'])} {e(summary['guideline']['version'])}. "
        "Every action is a proposal for a clinician to review, never an order.</p>",
    ]
    svgs = charts(summary)
    if svgs:
        parts.append('<div class="charts">' + "".join(f"<figure>{svg}</figure>" for svg in svgs) + "</div>")
    elif summary["evaluated"]:
        parts.append('<p class="note">Charts need matplotlib: install the cohort extra.</p>')
    parts.append("<h2>Queues</h2><table><tr><th>queue</th><th>patients</th><th>meaning</th></tr>")
    for name, queue in summary["queues"].items():
        parts.append(
            f'<tr><td>{e(name)}</td><td class="n">{queue["patients"]:,}</td><td>{e(queue["meaning"])}</td></tr>'
        )
    parts.append("</table>")
    shown = len(top)
    parts.append("<h2>Worklist</h2>")
    note = (
        f"All {rows_total:,} actions, most urgent first."
        if shown >= rows_total
        else f"The {shown:,} most urgent of {rows_total:,} actions; the full list is in worklist.csv."
    )
    parts.append(f'<p class="note">{note} Order: severity, then days overdue, then due date, then input order.</p>')
    parts.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in COLUMNS) + "</tr>")
    for row in top:
        cells = "".join(f'<td class="n">{e(v)}</td>' if i == 4 else f"<td>{e(v)}</td>" for i, v in enumerate(row))
        parts.append(f'<tr class="{e(row[-1])}">{cells}</tr>')
    parts.append("</table>")
    if errors:
        more = summary["errors"] - len(errors)
        parts.append(
            "<h2>Cases not evaluated</h2><table><tr><th>line</th><th>patient</th><th>code</th><th>message</th></tr>"
        )
        for err in errors:
            parts.append(
                f'<tr><td class="n">{err.line}</td><td>{e(err.patient_id or "")}</td><td>{e(err.code)}</td>'
                f"<td>{e(err.message)}</td></tr>"
            )
        parts.append("</table>")
        if more > 0:
            parts.append(f'<p class="note">{more:,} more in errors.ndjson.</p>')
    parts.append("</body></html>\n")
    path.write_text("\n".join(parts), encoding="utf-8")
