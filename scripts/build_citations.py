"""Build the citation registry ``src/hfs_pathway/data/citations.json``.

The registry is derived from the clinical evidence file (``clinical-evidence.md``):

* the reference list at the end of the file (lines such as
  ``R26 Title ... — https://url ; https://other``) gives each citation's id,
  short title, URLs and publication year;
* the body (everything before the ``## References`` heading) gives, for each
  id, the section headings in which it is cited (``supports``) and the
  strongest evidence tag found on a line citing it (``strength``).

Citations are bracketed id lists: ``[R26]``, ``[R26][R105]`` and, in the
YAML block of the evidence file, ``refs: [R26, R27]``. Bare mentions of an
id in prose (e.g. ``differently from R63``) are not counted as citations.
Evidence tags are ``[SEEN]``, ``[SEEN-weak]``, ``[UNVERIFIED]`` (including
variants such as ``[SEEN, introduction only]`` or ``[UNVERIFIED/none found]``)
and, in the YAML block, ``tag: SEEN`` / ``tag: UNVERIFIED``.

Ids cited in the body but missing from the reference list, and references
without a URL, are reported on stderr.

Usage::

    python scripts/build_citations.py            # (re)write the JSON file
    python scripts/build_citations.py --check    # exit 1 if the file is stale
    python scripts/build_citations.py --source path/to/clinical-evidence.md
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT / ".." / "shared" / "reference" / "clinical-evidence.md"
OUTPUT = REPO_ROOT / "src" / "hfs_pathway" / "data" / "citations.json"

MAX_TITLE_CHARS = 120
ELLIPSIS = "\u2026"

ID_PATTERN = r"R\d+[a-z]?"
# A bracketed list of ids: "[R26]" or (YAML) "[R26, R27, R105]".
CITATION_GROUP_RE = re.compile(rf"\[\s*({ID_PATTERN}(?:\s*,\s*{ID_PATTERN})*)\s*\]")
ID_RE = re.compile(ID_PATTERN)
ID_PARTS_RE = re.compile(r"R(\d+)([a-z]*)")
# Markdown tags: "[SEEN]", "**[SEEN-weak]**", "[SEEN, introduction only]",
# "[UNVERIFIED standard definition]", "[UNVERIFIED/none found]".
BRACKET_TAG_RE = re.compile(r"\[(SEEN-weak|SEEN|UNVERIFIED|DESIGN|CONFLICT)(?![\w-])")
# YAML tags in the constants block: 'tag: SEEN', 'tag: "SEEN (range computed)"'.
YAML_TAG_RE = re.compile(r"\btag:\s*\"?(SEEN-weak|SEEN|UNVERIFIED|DESIGN|CONFLICT)(?![\w-])")
HEADING_RE = re.compile(r"^(#{2,3})\s+(.*?)\s*$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")
REFERENCE_LINE_RE = re.compile(rf"^({ID_PATTERN})\s+(.*?)\s*$")
URL_RE = re.compile(r"https?://[^\s;]+")
# Hosts in the evidence file that do not serve the cited work, and the publisher's host that does. The path is kept
# (for R49, ``2072-6651/11/9/491`` is the journal Toxins' own path for the article, at its publisher MDPI).
HOST_CORRECTIONS = {"cricutcom-setup.com": "www.mdpi.com"}
# A 19xx/20xx number not glued to other digits, and not a page/volume/DOI
# fragment (i.e. not preceded by ".", ":", "/", "-" or an en dash).
YEAR_RE = re.compile(r"(?<![\d.:/\u2013-])((?:19|20)\d{2})(?!\d)")
TITLE_URL_SEPARATOR_RE = re.compile(r"\s*(?:\u2014|\u2013|-|;|:)?\s*$")
URL_NOT_RECORDED_RE = re.compile(r"\s*\u2014\s*URL not recorded\s*$", re.IGNORECASE)

# Strength ranking, strongest first.
STRENGTH_ORDER = ("seen", "seen-weak", "unverified", "cited", "listed")
TAG_STRENGTH = {"SEEN": "seen", "SEEN-weak": "seen-weak", "UNVERIFIED": "unverified"}


@dataclass
class Reference:
    """One line of the reference list."""

    ref_id: str
    short_title: str
    url: str | None
    other_urls: list[str]
    year: int | None


@dataclass
class BodyUsage:
    """How one id is cited in the body of the evidence file."""

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


def correct_host(url: str) -> str:
    """``url`` with its host replaced when :data:`HOST_CORRECTIONS` knows the host does not serve the work."""
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"https://{HOST_CORRECTIONS[host]}{slash}{path}" if host in HOST_CORRECTIONS else f"{scheme}://{rest}"


def parse_reference_line(ref_id: str, rest: str) -> Reference:
    """Split a reference line into title, URLs and year."""
    urls = [correct_host(url.rstrip(".,)")) for url in URL_RE.findall(rest)]
    first_url = URL_RE.search(rest)
    title = rest[: first_url.start()] if first_url else rest
    title = URL_NOT_RECORDED_RE.sub("", title)
    title = TITLE_URL_SEPARATOR_RE.sub("", title).strip()
    return Reference(
        ref_id=ref_id,
        short_title=shorten(title),
        url=urls[0] if urls else None,
        other_urls=urls[1:],
        year=find_year(title),
    )


def split_body_and_references(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split the file at the ``## References`` heading."""
    for index, line in enumerate(lines):
        match = HEADING_RE.match(line)
        if match and match.group(2).lower().startswith("references"):
            return lines[:index], lines[index + 1 :]
    raise SystemExit("error: no '## References' heading found in the evidence file")


def parse_references(lines: list[str], warnings: list[str]) -> dict[str, Reference]:
    """Parse the reference list (lines after the References heading)."""
    references: dict[str, Reference] = {}
    for line in lines:
        if not line.strip():
            continue
        match = REFERENCE_LINE_RE.match(line)
        if match is None:
            warnings.append(f"unparsed line in reference list: {line.strip()[:80]!r}")
            continue
        ref_id, rest = match.groups()
        if ref_id in references:
            warnings.append(f"duplicate reference id {ref_id}; keeping the first")
            continue
        references[ref_id] = parse_reference_line(ref_id, rest)
    return references


def line_strength(line: str) -> str:
    """Strongest evidence strength expressed by the tags on one line."""
    tags = set(BRACKET_TAG_RE.findall(line)) | set(YAML_TAG_RE.findall(line))
    strengths = {TAG_STRENGTH[tag] for tag in tags if tag in TAG_STRENGTH}
    for strength in STRENGTH_ORDER:
        if strength in strengths:
            return strength
    return "cited"


def stronger(first: str, second: str) -> str:
    """Return the stronger of two strength labels."""
    return min(first, second, key=STRENGTH_ORDER.index)


def parse_body(lines: list[str]) -> dict[str, BodyUsage]:
    """Collect, per id, the sections citing it and the strongest tag."""
    usage: dict[str, BodyUsage] = {}
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
        if not ids:
            continue
        strength = line_strength(line)
        for ref_id in ids:
            entry = usage.setdefault(ref_id, BodyUsage())
            if heading is not None and heading not in entry.supports:
                entry.supports.append(heading)
            entry.strength = stronger(entry.strength, strength)
    return usage


def build(source: Path) -> tuple[dict[str, Any], list[str]]:
    """Build the registry document and the list of warnings."""
    lines = source.read_text(encoding="utf-8").splitlines()
    body, reference_lines = split_body_and_references(lines)
    warnings: list[str] = []
    references = parse_references(reference_lines, warnings)
    usage = parse_body(body)

    missing = sorted(set(usage) - set(references), key=id_sort_key)
    if missing:
        warnings.append("cited in the body but missing from the reference list: " + ", ".join(missing))
    no_url = sorted((r for r in references if references[r].url is None), key=id_sort_key)
    if no_url:
        warnings.append("references without a URL: " + ", ".join(no_url))

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
                "year": ref.year,
                "supports": list(used.supports) if used else [],
                "strength": used.strength if used else "listed",
            }
        )
    return {"source": source.name, "citations": citations}, warnings


def render(document: dict[str, Any]) -> str:
    """Serialise deterministically."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help="evidence markdown file (default: "
        "../shared/reference/clinical-evidence.md relative to the repository root)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the JSON on disk differs from what would be generated",
    )
    args = parser.parse_args(argv)
    source: Path = args.source
    if not source.is_absolute():
        source = (Path.cwd() / source) if source.exists() else (REPO_ROOT / source)
    source = source.resolve()

    document, warnings = build(source)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    text = render(document)

    relative = OUTPUT.relative_to(REPO_ROOT)
    count = len(document["citations"])
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if current != text:
            script = Path(__file__).name
            print(f"{relative} is out of date; run {script}", file=sys.stderr)
            return 1
        print(f"{relative} is up to date ({count} citations)")
        return 0

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {relative} ({count} citations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
