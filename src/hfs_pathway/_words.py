"""Small pieces of wording shared by messages: the right article before a code, and "did you mean".

Messages name events and stages by their contract values (``mvd_performed``); these helpers make the
sentence around the value read as English ("an mvd_performed event", "did you mean 'botox_injection'?").
"""

from __future__ import annotations

from collections.abc import Iterable

# Initialisms at the start of a code, read letter by letter: "MVD" is "em-vee-dee", so "an mvd_performed".
_INITIALISMS = frozenset({"mvd", "mri", "ct", "hfs", "nvc", "lsr", "asa", "jrs", "smc", "csf", "ehr", "fhir"})
# Letters whose spoken name starts with a vowel sound.
_VOWEL_SOUND_LETTERS = frozenset("aefhilmnorsx")


def with_article(code: str) -> str:
    """``code`` preceded by "a" or "an" as it is read aloud: "an mvd_performed", "a botox_injection"."""
    first_word = code.replace("-", "_").split("_", 1)[0].lower()
    vowels = _VOWEL_SOUND_LETTERS if first_word in _INITIALISMS else frozenset("aeiou")
    vowel = first_word[:1] in vowels
    return f"{'an' if vowel else 'a'} {code}"


def did_you_mean(given: str, known: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest known value to ``given``, or an empty string."""
    import difflib  # only a refusal needs it: not loaded with the library

    close = difflib.get_close_matches(given.strip().lower(), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def title_of(code: str) -> str:
    """A contract value in words for a picture or a heading: ``"mvd_referral"`` -> ``"MVD referral"``,
    ``"botulinum_toxin"`` -> ``"Botulinum toxin"``, ``"risk_benefit_decision"`` -> ``"Risk-benefit decision"``."""
    words = [w.upper() if w in _INITIALISMS else w for w in code.split("_") if w]
    text = " ".join(words).replace("risk benefit", "risk-benefit")
    return text[:1].upper() + text[1:]
