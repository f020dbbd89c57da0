"""MkDocs hooks: the pages and pictures that come from the code, generated at every build.

- ``stages/<stage>.md``: one page per stage, with the events it accepts, their requirements and routes, how
  patients arrive, the guideline thresholds that apply there and the evidence behind all of it.
- ``events/<type>.md``, ``examples.md``, ``changelog.md`` and ``schema/case.schema.json``: the case format,
  the example gallery and the changelog (``scripts/docs_pages.py``).
- ``citations.md``: the citation registry (a link to a raw IP address or a known mirror fails the build).
- ``cli.md``: the command line's own ``--help`` text for every command.
- ``assets/pathway.svg`` and ``assets/example-path.svg``: Graphviz pictures (needs ``dot``).
- ``js/mermaid.min.js``: the mermaid script, copied from ``node_modules`` (``npm ci``), so diagrams render
  without a CDN.
- In any page, ``<!-- generated: NAME -->`` is replaced by the generated block NAME (see ``BLOCKS``).

Nothing here is written by hand about the pathway's shape: change the definition or the guideline and the
next build follows. A parameter of the guideline that no stage page shows fails the build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib.util
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

from hfs_pathway import (
    HFS_PATHWAY,
    Citation,
    Pathway,
    Stage,
    __version__,
    case_schema,
    citations,
    default_guideline,
    diagram,
    load_case,
)
from hfs_pathway._events import EVENT_MODELS
from hfs_pathway._graph import pathway_graph

ROOT = Path(__file__).resolve().parent.parent
MERMAID_JS = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
EXAMPLE_CASE = ROOT / "examples" / "waning_to_mvd_referral.json"
EXAMPLE_AS_OF = dt.date(2023, 10, 17)

S = Stage
# Which guideline thresholds a clinician meets at each stage. Values, units, descriptions and evidence come
# from the guideline itself; every parameter must appear on at least one stage page.
STAGE_PARAMETERS: dict[Stage, tuple[str, ...]] = {
    S.PRESENTATION: ("young_onset_age_years", "paediatric_age_years"),
    S.IMAGING: ("mri_due_days", "urgent_imaging_due_days", "imaging_overdue_days"),
    S.SECONDARY_CAUSE: ("follow_up_secondary_cause_days",),
    S.TREATMENT_SELECTION: ("follow_up_treatment_selection_days",),
    S.OBSERVATION: ("observation_review_months",),
    S.ORAL_MEDICATION: (
        "medication_review_days",
        "follow_up_oral_medication_days",
        "label_max_mg_per_day",
        "contraception_age_min_years",
        "contraception_age_max_years",
    ),
    S.BOTULINUM_TOXIN: (
        "min_reinjection_interval_days",
        "usual_max_units",
        "response_review_days",
        "response_assessment_overdue_days",
        "insufficient_benefit_days",
        "insufficient_peak_percent",
        "no_response_peak_percent",
        "waning_drop_percent",
        "waning_baseline_max_cycles",
        "waning_baseline_min_cycles",
        "waning_consecutive_cycles",
        "poorly_tolerated_window_cycles",
        "poorly_tolerated_min_cycles",
        "primary_non_response_cycles",
        "follow_up_botulinum_toxin_days",
    ),
    S.WANING_RESPONSE: (
        "insufficient_benefit_days",
        "insufficient_peak_percent",
        "no_response_peak_percent",
        "waning_drop_percent",
        "waning_consecutive_cycles",
        "poorly_tolerated_min_cycles",
        "primary_non_response_cycles",
        "toxin_resistance_prior_adequate_cycles",
        "follow_up_waning_response_days",
    ),
    S.SURGICAL_EVALUATION: (
        "risk_assessment_validity_days",
        "follow_up_surgical_evaluation_days",
        "older_age_hearing_years",
        "asa_caution_class",
        "asa_unfavourable_class",
        "mvd_complete_relief",
        "mvd_delayed_relief",
        "mvd_recurrence_5_years",
        "risk_hearing_loss_permanent",
        "risk_facial_palsy_permanent",
        "risk_facial_palsy_transient",
        "risk_csf_leak",
        "risk_lower_cranial_nerve",
        "risk_stroke",
        "risk_death",
    ),
    S.MVD_REFERRAL: ("risk_assessment_validity_days", "referral_overdue_days"),
    S.POST_MVD: (
        "post_mvd_review_months",
        "post_mvd_review_early_days",
        "post_mvd_failure_months",
        "post_mvd_discharge_months",
        "mvd_delayed_relief",
        "mvd_recurrence_5_years",
        "bridging_toxin_effect_days",
        "min_reinjection_interval_days",
        "post_mvd_complication_window_days",
    ),
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _cite(ids: tuple[str, ...] | list[str], depth: int) -> str:
    up = "../" * depth
    return ", ".join(f"[{i}]({up}citations.md#{i.lower()})" for i in ids)


def _value(value: Any, unit: str) -> str:
    if isinstance(value, dict) and set(value) == {"low", "high"}:
        text = f"{value['low']}" if value["low"] == value["high"] else f"{value['low']}-{value['high']}"
        return f"{text} {unit}"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {'no limit' if v is None else v}" for k, v in value.items()) + f" ({unit})"
    if isinstance(value, list):
        return ", ".join(map(str, value)) + f" {unit}"
    return f"{value} {unit}"


def _check_parameters() -> None:
    names = {p.name for p in default_guideline().parameters()}
    shown = {name for names_ in STAGE_PARAMETERS.values() for name in names_}
    if shown - names:
        raise PluginError(f"docs hooks name unknown guideline parameters: {sorted(shown - names)}")
    if names - shown:
        unplaced = sorted(names - shown)
        raise PluginError(f"guideline parameters on no stage page (add them to STAGE_PARAMETERS): {unplaced}")


# Generated pages -----------------------------------------------------------------------------------------


def stage_page(stage: Stage) -> str:
    d = HFS_PATHWAY
    info = d.stage_info(stage)
    graph = pathway_graph(d)
    kind = " It is where every patient starts." if info.initial else " It is a final stage." if info.final else ""
    out = [
        f"# {stage.value}",
        "",
        "<!-- Generated at build time from the pathway definition and the guideline. -->",
        "",
        f"{info.meaning}{kind}",
        "",
        "## Events accepted here",
        "",
    ]
    evidence: list[str] = []
    accepted = d.accepted_events(stage)
    if not accepted:
        out += ["None: the pathway is complete for this patient.", ""]
    for event in accepted:
        rule = d.rule(event.value)
        out += [
            f"### `{event.value}`",
            "",
            f"{rule.description} ([fields and example](../events/{event.value}.md))",
            "",
        ]
        if rule.requires:
            out += ["Refused unless:", ""]
            for req in rule.requires:
                cites = f" ({_cite(req.condition.evidence, 1)})" if req.condition.evidence else ""
                out.append(f"- {req.condition.description}: `{req.condition.name}`, else `{req.error}`{cites}")
                evidence += req.condition.evidence
            out.append("")
        out += ["| goes to | when | why | evidence |", "|---|---|---|---|"]
        for route in rule.routes:
            if not route.leaves(stage):
                continue
            dest = f"[`{route.dest.value}`]({route.dest.value}.md)" if route.dest else "stays here"
            when = route.condition_text or "always"
            out.append(f"| {dest} | {_cell(when)} | {_cell(route.rationale)} | {_cite(route.evidence, 1)} |")
            evidence += route.evidence
        out.append("")
    arrivals = [t for t in graph.transitions if t.dest == stage and t.source != stage]
    out += ["## How patients arrive", ""]
    if info.initial:
        out += ["Every pathway starts here.", ""]
    if arrivals:
        out += ["| from | event | guard |", "|---|---|---|"]
        for t in arrivals:
            guard = " or ".join(t.guards) or "none"
            out.append(f"| [`{t.source.value}`]({t.source.value}.md) | `{t.event.value}` | {guard} |")
        out.append("")
    params = [p for p in default_guideline().parameters() if p.name in STAGE_PARAMETERS.get(stage, ())]
    out += ["## Thresholds", ""]
    if params:
        g = default_guideline()
        out += [
            f"From the guideline *{g.name}* version {g.version}; a clinic may load its own values.",
            "",
            "| parameter | value | what it means | evidence |",
            "|---|---|---|---|",
        ]
        for p in params:
            out.append(
                f"| `{p.name}` | {_cell(_value(p.value, p.unit))} | {_cell(p.description)} | {_cite(p.evidence, 1)} |"
            )
            evidence += p.evidence
        out.append("")
    else:
        out += ["No guideline threshold applies at this stage.", ""]
    out += ["## Evidence", ""]
    registry = citations()
    for cid in dict.fromkeys(evidence):
        c = registry[cid]
        year = f" ({c.year})" if c.year else ""
        out.append(f"- [{cid}](../citations.md#{cid.lower()}): {c.short_title}{year}")
    if not evidence:
        out.append("No rule of this stage cites evidence of its own.")
    return "\n".join(out) + "\n"


@functools.cache
def _load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot load scripts/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the script runs
    spec.loader.exec_module(module)
    return module


def _identifiers(c: Citation) -> str:
    """PMID, PMCID and DOI of a citation, each linked to its canonical address."""
    parts = []
    if c.pmid:
        parts.append(f"PMID [{c.pmid}](https://pubmed.ncbi.nlm.nih.gov/{c.pmid}/)")
    if c.pmcid:
        parts.append(f"[{c.pmcid}](https://pmc.ncbi.nlm.nih.gov/articles/{c.pmcid}/)")
    if c.doi:
        parts.append(f"doi:[{c.doi}](https://doi.org/{quote(c.doi, safe='/:;().-_')})")
    return "; ".join(parts)


def citations_page() -> str:
    registry = citations()
    check = _load_script("build_citations").link_problem
    bad = [
        f"{c.id} links to {url}: {problem}"
        for c in registry.values()
        for url in (c.url, *c.other_urls)
        if url and (problem := check(url))
    ]
    if bad:
        raise PluginError("citation links that may not be published: " + "; ".join(bad))
    out = [
        "# Citations",
        "",
        "<!-- Generated at build time from the citation registry (hfs_pathway.citations()). -->",
        "",
        "Every rule, threshold, recommendation and alert cites these sources by id. Each entry links to the "
        "source itself (PubMed, doi.org, the publisher or an official page) and gives its PubMed id and DOI when "
        "it has them. *Strength*: *seen* means the source itself was read; *seen-weak* that it was known from a "
        "secondary source; *unverified* that the statement citing it was not checked in the source; *cited* and "
        "*listed* that no evidence tag was recorded.",
        "",
    ]
    for c in sorted(registry.values(), key=lambda c: (int(re.sub(r"\D", "", c.id) or 0), c.id)):
        title = f"[{_cell(c.short_title)}]({c.url})" if c.url else c.short_title
        year = f", {c.year}" if c.year else ""
        out += [f"## {c.id} {{ #{c.id.lower()} }}", "", f"{title}{year}.", ""]
        facts = [f"Strength: {c.strength}."]
        ids = _identifiers(c)
        if ids:
            facts.insert(0, ids + ".")
        if not c.url:
            facts.append(
                "No link: no PubMed id, DOI or publisher page is recorded for this source; find it by its "
                "details above."
            )
        if c.unconfirmed:
            facts.append("Its bibliographic details (journal, year, identifiers) are not confirmed.")
        if c.other_urls:
            facts.append("Also: " + ", ".join(f"<{u}>" for u in c.other_urls) + ".")
        out += [" ".join(facts), ""]
        if c.supports:
            out += ["Supports: " + "; ".join(c.supports) + ".", ""]
    return "\n".join(out) + "\n"


def cli_page() -> str:
    from hfs_pathway import cli

    os.environ["COLUMNS"] = "100"  # argparse wraps help to the terminal; a fixed width keeps the page stable
    parser = cli._parser()
    out = [
        "# Command line",
        "",
        "<!-- Generated at build time from the command line's own help text. -->",
        "",
        "Bad input exits with status 2 and a message naming the problem; `--format json` prints errors as "
        '`{"error": {"code", "message", "event_index"}}`. Commands of an optional extra say which extra to install.',
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]

    def walk(p: argparse.ArgumentParser, name: str) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    full = f"{name} {sub_name}"
                    out.extend([f"## `{full}`", "", "```text", sub.format_help().rstrip(), "```", ""])
                    walk(sub, full)

    walk(parser, "hfs-pathway")
    return "\n".join(out) + "\n"


# Blocks replaced inside hand-written pages -------------------------------------------------------------------


def stage_table() -> str:
    d = HFS_PATHWAY
    rows = ["| stage | meaning | accepts |", "|---|---|---|"]
    for info in d.stages:
        flag = " (start)" if info.initial else " (final)" if info.final else ""
        accepts = ", ".join(f"`{e.value}`" for e in d.accepted_events(info.stage)) or "nothing"
        link = f"[`{info.stage.value}`](stages/{info.stage.value}.md)"
        rows.append(f"| {link}{flag} | {_cell(info.meaning)} | {accepts} |")
    return "\n".join(rows)


def mermaid_block(fmt: str) -> Callable[[], str]:
    return lambda: f'<div class="pathway-figure" markdown="1">\n\n```mermaid\n{diagram(fmt)}```\n\n</div>'


def pathway_svg() -> str:
    """The Graphviz picture inlined (not an <img>), so its labels are text a reader can search and select."""
    svg = str(diagram("svg"))
    svg = svg[svg.index("<svg") :]
    return f'<div class="pathway-figure" markdown="0">\n{svg}\n</div>'


def _generated_block(name: str) -> Callable[[], str]:
    return lambda: str(getattr(_load_script("docs_pages"), name)())


def _toml_block(text: str) -> str:
    return f"```toml\n{text.rstrip()}\n```"


BLOCKS: dict[str, Callable[[], str]] = {
    "clinic-guideline": lambda: _toml_block((ROOT / "examples" / "clinic-guideline.toml").read_text(encoding="utf-8")),
    "guideline-toml": lambda: _toml_block(default_guideline().to_toml()),
    "case-fields": _generated_block("case_fields_block"),
    "event-index": _generated_block("event_index_block"),
    "stage-table": stage_table,
    "pathway-svg": pathway_svg,
    "pathway-flowchart": mermaid_block("mermaid"),
}
MARKER = re.compile(r"<!-- generated: ([a-z-]+) -->")


# MkDocs events -----------------------------------------------------------------------------------------------


def on_config(config: Any) -> Any:
    """Fill the nav's ``Stages: stages/`` and ``Events: events/`` entries with one page per stage (in pathway
    order) and per event type, and put the version and the regulatory status in every page's footer."""
    stages = [{s.stage.value: f"stages/{s.stage.value}.md"} for s in HFS_PATHWAY.stages]
    events = [{name: f"events/{name}.md"} for name in EVENT_MODELS]

    def fill(items: Any, folder: str, pages: list[dict[str, str]]) -> bool:
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                for key, value in item.items():
                    if value == folder:
                        item[key] = pages
                        return True
                    if fill(value, folder, pages):
                        return True
        return False

    for folder, pages in (("stages/", stages), ("events/", events)):
        if not fill(config["nav"], folder, pages):
            raise PluginError(f"mkdocs.yml nav needs an entry '...: {folder}' for the generated pages")
    config["copyright"] = (
        f"hfs-pathway {__version__} · {config.get('copyright') or ''} "
        "Not a medical device and not clinically validated: see Regulatory status."
    ).strip()
    return config


def on_files(files: Files, config: Any) -> Files:
    _check_parameters()
    pages = {f"stages/{s.value}.md": stage_page(s) for s in Stage}
    pages["citations.md"] = citations_page()
    pages["cli.md"] = cli_page()
    generated = _load_script("docs_pages")
    pages.update({f"events/{name}.md": generated.event_page(name) for name in EVENT_MODELS})
    pages["changelog.md"] = generated.changelog_page()
    gallery, pictures = generated.gallery()
    pages["examples.md"] = gallery
    files.append(File.generated(config, "schema/case.schema.json", content=json.dumps(case_schema(), indent=2)))
    for uri, text in pages.items():
        files.append(File.generated(config, uri, content=text))
    if not MERMAID_JS.exists():
        raise PluginError(f"{MERMAID_JS} is missing: run npm ci (the site ships mermaid instead of using a CDN)")
    files.append(File.generated(config, "js/mermaid.min.js", abs_src_path=str(MERMAID_JS)))
    try:
        files.append(File.generated(config, "assets/pathway.svg", content=str(diagram("svg"))))
        pathway = Pathway.replay(load_case(EXAMPLE_CASE))
        example = str(diagram("svg", pathway=pathway, as_of=EXAMPLE_AS_OF))
        files.append(File.generated(config, "assets/example-path.svg", content=example))
        for stem, svg in pictures.items():
            files.append(File.generated(config, f"assets/examples/{stem}.svg", content=svg))
    except Exception as exc:
        raise PluginError(f"the Graphviz pictures could not be drawn: {exc}") from exc
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    def replace(match: re.Match[str]) -> str:
        block = BLOCKS.get(match.group(1))
        if block is None:
            raise PluginError(f"{page.file.src_uri}: unknown generated block {match.group(1)!r}")
        return block()

    return MARKER.sub(replace, markdown)


# Sphinx roles in docstrings (":meth:`apply`") arrive in the HTML as ":meth:<code>apply</code>": keep the code.
ROLE = re.compile(r":(?:meth|class|func|attr|data|exc|mod|obj):<code>~?([^<]*)</code>")


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    def name(match: re.Match[str]) -> str:
        text = match.group(1)
        shown = text.rsplit(".", 1)[-1] if match.group(0).split("<code>", 1)[1].startswith("~") else text
        return f"<code>{shown}</code>"

    return ROLE.sub(name, html)
