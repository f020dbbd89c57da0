"""Build the citation registry ``src/hfs_pathway/data/citations.json``.

The registry is derived from two evidence files, merged by id:

* the shared clinical evidence file (``shared/reference/clinical-evidence.md``, found beside the checkout or
  given with ``--source``), which holds references R1 to R200;
* the project's own additions, ``evidence/additions.md`` (references R201 and above: drug labels, guidance and
  other sources the project cites that the shared file does not hold). An id present in both files fails the
  build, and so does an addition numbered below :data:`FIRST_ADDITION_ID`.

Each file has the same shape: a body (everything before the ``## References`` heading) and a reference list, one
line per reference::

    R26 Miller LE, Miller VM. Safety and effectiveness of ... Br J Neurosurg 2012;26(4):438-444 — PMID 22168965;
        doi:10.3109/02688697.2011.641613 — https://pubmed.ncbi.nlm.nih.gov/22168965/ [note]

(on one line). The parts are separated by em dashes: first the title (authors, title, journal, year), then the
identifiers (``PMID``, ``PMC``/``PMCID``, ``doi:``), then the canonical link(s); a bracketed note at the end is not
part of the citation. A leading ``[UNVERIFIED-SOURCE]`` marks a source whose bibliographic details are not
confirmed. A reference may have no link: then its PubMed or DOI address is used, and when it has neither it is
listed by its bibliographic details alone.

The body gives, for each id, the sections citing it (``supports``) and the strongest evidence tag on a line
citing it (``strength``). Citations are bracketed id lists: ``[R26]``, ``[R26][R105]`` and, in YAML blocks,
``refs: [R26, R27]``. Evidence tags are ``[SEEN]``, ``[SEEN-weak]``, ``[UNVERIFIED]`` and ``tag: SEEN``.

A link whose host is a raw IP address or a known mirror (a copy of someone else's publication, see
:data:`KNOWN_MIRRORS`) fails the build: the registry links only to the publisher, PubMed, doi.org or an official
page. The output depends only on the two files' contents (no dates, sorted keys and ids), so building twice gives
the same bytes and ``--check`` can compare.

Usage::

    python scripts/build_citations.py            # (re)write the JSON file
    python scripts/build_citations.py --check    # exit 1 if the file is stale
    python scripts/build_citations.py --source path/to/clinical-evidence.md --additions path/to/additions.md
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_RELATIVE = Path("shared") / "reference" / "clinical-evidence.md"
ADDITIONS = REPO_ROOT / "evidence" / "additions.md"
OUTPUT = REPO_ROOT / "src" / "hfs_pathway" / "data" / "citations.json"
SOURCE_ENVIRONMENT = "HFS_EVIDENCE_FILE"
FIRST_ADDITION_ID = 201

MAX_TITLE_CHARS = 120
ELLIPSIS = "\u2026"
DASH_SEPARATOR = " \u2014 "

ID_PATTERN = r"R\d+[a-z]?"
# A bracketed list of ids: "[R26]" or (YAML) "[R26, R27, R105]".
CITATION_GROUP_RE = re.compile(rf"\[\s*({ID_PATTERN}(?:\s*,\s*{ID_PATTERN})*)\s*\]")
ID_RE = re.compile(ID_PATTERN)
ID_PARTS_RE = re.compile(r"R(\d+)([a-z]*)")
BRACKET_TAG_RE = re.compile(r"\[(SEEN-weak|SEEN|UNVERIFIED|DESIGN|CONFLICT)(?![\w-])")
YAML_TAG_RE = re.compile(r"\btag:\s*\"?(SEEN-weak|SEEN|UNVERIFIED|DESIGN|CONFLICT)(?![\w-])")
HEADING_RE = re.compile(r"^(#{2,3})\s+(.*?)\s*$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")
REFERENCE_LINE_RE = re.compile(rf"^({ID_PATTERN})\s+(.*?)\s*$")
URL_RE = re.compile(r"https?://[^\s;]+")
PMID_RE = re.compile(r"\bPMID:?\s*(\d{1,9})\b")
PMCID_RE = re.compile(r"\b(PMC\d{4,9})\b")
DOI_RE = re.compile(r"\bdoi:\s*(10\.\d{4,9}/\S+)", re.IGNORECASE)
# Leading markers such as "[UNVERIFIED-SOURCE]" or "[MIRROR REPLACED BY PRIMARY]": upper-case words only.
LEADING_MARKER_RE = re.compile(r"^\s*\[([A-Z][A-Z -]+)\]\s*")
UNCONFIRMED_MARKER = "UNVERIFIED-SOURCE"
# A bracketed remark inside the title about what was not found ("[journal, year, DOI and PMID not identified]").
TITLE_REMARK_RE = re.compile(r"\s*\[[^\]]*\b(?:not identified|not captured|not confirmed|seen only)\b[^\]]*\]")
NOTE_RE = re.compile(r"\s*(?<!/)\[[^\]]*\]")  # not an IPv6 host: "https://[::1]/"
# A part after the title that starts with an identifier, a link or a remark about missing identifiers.
NOT_TITLE_RE = re.compile(
    r"^(?:PMID|PMCID|PMC\d|doi:|DOI/PMID|PII\b|DailyMed\b|https?://|[\w/, ]+ not (?:identified|captured|confirmed))",
    re.IGNORECASE,
)
IDENTIFIER_PART_RE = re.compile(r"^(?:PMID|PMCID|PMC\d|doi:)", re.IGNORECASE)
YEAR_RE = re.compile(r"(?<![\d.:/\u2013-])((?:19|20)\d{2})(?!\d)")

# Hosts that copy other publishers' work (document-sharing sites, offline-wiki mirrors, scraped re-posts,
# translation proxies). A citation must link to the source itself; these fail the build. A suffix match, so
# "p.gyb.elementfx.com" is caught by "elementfx.com".
KNOWN_MIRRORS = (
    "scribd.com",
    "iiab.me",
    "kiwix.org",
    "liquisearch.com",
    "docksci.com",
    "elementfx.com",
    "cricutcom-setup.com",
    "wilddata.cn",
    "zgkjsz.com",
    "weglot.com",
    "yumpu.com",
    "zanotowane.pl",
    "kreeson.com",
    "tomesphere.com",
    "zhixidata.com",
    "hccbuddy.com",
    "codes.sprypt.com",
    "diseasemaps.org",
    "referencecitationanalysis.com",
    "jcmedinc.com",
    "med.report",
)

STRENGTH_ORDER = ("seen", "seen-weak", "unverified", "cited", "listed")
TAG_STRENGTH = {"SEEN": "seen", "SEEN-weak": "seen-weak", "UNVERIFIED": "unverified"}


class EvidenceError(Exception):
    """An evidence file cannot be turned into the registry (the message says which line and why)."""


@dataclass
class Reference:
    """One line of a reference list."""

    ref_id: str
    short_title: str
    url: str | None
    other_urls: list[str]
    year: int | None
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    unconfirmed: bool = False
    origin: str = ""


@dataclass
class BodyUsage:
    """How one id is cited in the body of an evidence file."""

    supports: list[str] = field(default_factory=list)
    strength: str = "cited"


def id_sort_key(ref_id: str) -> tuple[int, str]:
    """Sort key for ids: numeric part first, then the letter suffix."""
    match = ID_PARTS_RE.fullmatch(ref_id)
    if match is None:
        return (sys.maxsize, ref_id)
    return (int(match.group(1)), match.group(2))


def shorten(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """Trim ``text`` to at most ``limit`` characters at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut and not text[limit].isspace():
        cut = cut.rsplit(" ", 1)[0]
    cut = cut.rstrip(" ,;:(\u2014\u2013-")
    return cut + ELLIPSIS


def find_year(title: str) -> int | None:
    """Return the last plausible publication year in ``title``, if any."""
    years = YEAR_RE.findall(title)
    return int(years[-1]) if years else None


def link_problem(url: str) -> str | None:
    """Why ``url`` may not be cited (a raw IP address, a known mirror), or ``None`` when it may."""
    bare = (urlsplit(url).hostname or "").lower()
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        pass
    else:
        return f"its host {bare} is a raw IP address, not the publisher"
    for mirror in KNOWN_MIRRORS:
        if bare == mirror or bare.endswith("." + mirror):
            return f"its host {bare} is a known mirror ({mirror}), not the publisher"
    return None


def parse_reference_line(ref_id: str, rest: str, origin: str = "") -> Reference:
    """Split a reference line into title, identifiers, links and year."""
    unconfirmed = False
    while (marker := LEADING_MARKER_RE.match(rest)) is not None:
        unconfirmed = unconfirmed or marker.group(1).strip() == UNCONFIRMED_MARKER
        rest = rest[marker.end() :]
    parts = rest.split(DASH_SEPARATOR)
    cut = next(
        (i for i, part in enumerate(parts) if i > 0 and (NOT_TITLE_RE.match(part.strip()) or URL_RE.search(part))),
        len(parts),
    )
    title = TITLE_REMARK_RE.sub("", DASH_SEPARATOR.join(parts[:cut])).strip().rstrip(" .;,")
    tail = [NOTE_RE.sub("", part).strip() for part in parts[cut:]]
    urls = [url.rstrip(".,") for part in tail for url in URL_RE.findall(part)]
    identifiers = " ; ".join(part for part in tail if IDENTIFIER_PART_RE.match(part))
    pmid = PMID_RE.search(identifiers)
    pmcid = PMCID_RE.search(identifiers)
    doi = DOI_RE.search(identifiers)
    doi_text = doi.group(1).rstrip(".,;") if doi else None
    if not urls and pmid:
        urls = [f"https://pubmed.ncbi.nlm.nih.gov/{pmid.group(1)}/"]
    elif not urls and doi_text:
        urls = [f"https://doi.org/{doi_text}"]
    return Reference(
        ref_id=ref_id,
        short_title=shorten(title),
        url=urls[0] if urls else None,
        other_urls=urls[1:],
        year=find_year(title),
        pmid=pmid.group(1) if pmid else None,
        pmcid=pmcid.group(1) if pmcid else None,
        doi=doi_text,
        unconfirmed=unconfirmed,
        origin=origin,
    )


def split_body_and_references(lines: list[str], name: str) -> tuple[list[str], list[str]]:
    """Split a file at its ``## References`` heading."""
    for index, line in enumerate(lines):
        match = HEADING_RE.match(line)
        if match and match.group(2).lower().startswith("references"):
            return lines[:index], lines[index + 1 :]
    raise EvidenceError(f"{name}: no '## References' heading")


def parse_references(lines: list[str], name: str, warnings: list[str]) -> dict[str, Reference]:
    """Parse a reference list (the lines after the References heading)."""
    references: dict[str, Reference] = {}
    in_comment = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if in_comment:
            in_comment = "-->" not in stripped
            continue
        if not stripped:
            continue
        match = REFERENCE_LINE_RE.match(line)
        if match is None:
            warnings.append(f"{name}: unparsed line in the reference list: {stripped[:80]!r}")
            continue
        ref_id, rest = match.groups()
        if ref_id in references:
            raise EvidenceError(f"{name}: reference {ref_id} is listed twice")
        references[ref_id] = parse_reference_line(ref_id, rest, origin=name)
    return references


def line_strength(line: str) -> str:
    """Strongest evidence strength expressed by the tags on one line."""
    tags = set(BRACKET_TAG_RE.findall(line)) | set(YAML_TAG_RE.findall(line))
    strengths = {TAG_STRENGTH[tag] for tag in tags if tag in TAG_STRENGTH}
    return next((s for s in STRENGTH_ORDER if s in strengths), "cited")


def stronger(first: str, second: str) -> str:
    """Return the stronger of two strength labels."""
    return min(first, second, key=STRENGTH_ORDER.index)


def parse_body(lines: list[str], usage: dict[str, BodyUsage]) -> None:
    """Add, per id, the sections citing it and the strongest tag, to ``usage``."""
    heading: str | None = None
    in_fence = False
    for line in lines:
        if FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            match = HEADING_RE.match(line)
            if match:
                heading = match.group(2)
                continue
        ids = [ref_id for group in CITATION_GROUP_RE.findall(line) for ref_id in ID_RE.findall(group)]
        strength = line_strength(line) if ids else "cited"
        for ref_id in ids:
            entry = usage.setdefault(ref_id, BodyUsage())
            if heading is not None and heading not in entry.supports:
                entry.supports.append(heading)
            entry.strength = stronger(entry.strength, strength)


def build(source: Path, additions: Path | None = None) -> tuple[dict[str, Any], list[str]]:
    """The registry document and the warnings; :class:`EvidenceError` when the files cannot make one."""
    warnings: list[str] = []
    errors: list[str] = []
    references: dict[str, Reference] = {}
    usage: dict[str, BodyUsage] = {}
    inputs = [(source, source.name, False)]
    if additions is not None:
        inputs.append((additions, f"evidence/{additions.name}", True))
    for path, name, project in inputs:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise EvidenceError(f"cannot read {path}: {exc.strerror or exc}") from None
        body, reference_lines = split_body_and_references(lines, name)
        found = parse_references(reference_lines, name, warnings)
        for ref_id, ref in found.items():
            if project and id_sort_key(ref_id)[0] < FIRST_ADDITION_ID:
                errors.append(f"{name}: {ref_id} is below R{FIRST_ADDITION_ID}; project references start there")
            if ref_id in references:
                errors.append(f"{name}: {ref_id} is already in {references[ref_id].origin}; give it a new id")
                continue
            references[ref_id] = ref
        parse_body(body, usage)
    for ref in references.values():
        for url in [u for u in (ref.url, *ref.other_urls) if u]:
            problem = link_problem(url)
            if problem:
                errors.append(f"{ref.origin}: {ref.ref_id} links to {url}: {problem}")
    if errors:
        raise EvidenceError("\n".join(errors))

    missing = sorted(set(usage) - set(references), key=id_sort_key)
    if missing:
        warnings.append("cited in a body but missing from the reference lists: " + ", ".join(missing))
    unlinked = sorted((r for r in references if references[r].url is None), key=id_sort_key)
    if unlinked:
        warnings.append("references without a link, PMID or DOI (listed by their details): " + ", ".join(unlinked))

    citations: list[dict[str, Any]] = []
    for ref_id in sorted(references, key=id_sort_key):
        ref = references[ref_id]
        used = usage.get(ref_id)
        citations.append(
            {
                "id": ref.ref_id,
                "short_title": ref.short_title,
                "url": ref.url,
                "other_urls": ref.other_urls,
                "pmid": ref.pmid,
                "pmcid": ref.pmcid,
                "doi": ref.doi,
                "year": ref.year,
                "unconfirmed": ref.unconfirmed,
                "supports": list(used.supports) if used else [],
                "strength": used.strength if used else "listed",
                "origin": "project" if ref.origin.startswith("evidence/") else "shared",
            }
        )
    return {"sources": [name for _, name, _ in inputs], "citations": citations}, warnings


def render(document: dict[str, Any]) -> str:
    """Serialise deterministically."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def default_source() -> Path | None:
    """The shared evidence file: ``$HFS_EVIDENCE_FILE``, else ``shared/reference/`` in a folder above the checkout."""
    if os.environ.get(SOURCE_ENVIRONMENT):
        return Path(os.environ[SOURCE_ENVIRONMENT])
    for folder in REPO_ROOT.parents:
        if (folder / SHARED_RELATIVE).is_file():
            return folder / SHARED_RELATIVE
    return None


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--source",
        type=Path,
        help=f"the shared evidence file (default: ${SOURCE_ENVIRONMENT}, else {SHARED_RELATIVE} in a folder "
        "above the repository)",
    )
    parser.add_argument("--additions", type=Path, default=ADDITIONS, help="the project's additions file")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=argparse.SUPPRESS)
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the JSON on disk differs from what would be generated",
    )
    args = parser.parse_args(argv)
    source: Path | None = args.source or default_source()
    if source is None:
        print(f"error: no shared evidence file found; give --source or set {SOURCE_ENVIRONMENT}", file=sys.stderr)
        return 2
    try:
        document, warnings = build(source.resolve(), args.additions if args.additions.exists() else None)
    except EvidenceError as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    text = render(document)
    output: Path = args.output
    count = len(document["citations"])
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            print(f"{output.name} is out of date; run scripts/{Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{output.name} is up to date ({count} citations)")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output.name} ({count} citations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
