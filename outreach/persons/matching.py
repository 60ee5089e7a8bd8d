"""Recognising a person met before from what she tells: alias, nationality, birth year.

The field app runs the same rules offline (static/field/matching.js); keep them in step.
"""

import unicodedata
from difflib import SequenceMatcher

# Spelling variants common when work names are written down by ear.
_SUBSTITUTIONS = [
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("c", "k"),
    ("q", "k"),
    ("w", "v"),
    ("z", "s"),
    ("y", "i"),
    ("x", "ks"),
    ("ee", "i"),
    ("ie", "i"),
    ("ou", "u"),
]
# A birth year one off counts less than the same year: five persons with the same work name
# then rank by how close their year is (issue 10; benchmarks/person_matching.py measures it).
WEIGHTS = {
    "alias": 0.6,
    "nationality": 0.15,
    "birth_year": 0.15,
    "birth_year_near": 0.1,
    "clinic": 0.1,
}
MIN_ALIAS_SIMILARITY = 0.5


def fold(text: str) -> str:
    """Lower case, no accents, letters only: 'Ánná-Maria' -> 'annamaria'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed.casefold() if c.isalpha())


def sound(text: str) -> str:
    """A rough phonetic key: 'Jassmine' and 'Yasmin' come out close."""
    key = fold(text)
    for old, new in _SUBSTITUTIONS:
        key = key.replace(old, new)
    if key.startswith("j"):
        key = "i" + key[1:]
    collapsed = []
    for ch in key:
        if not collapsed or collapsed[-1] != ch:
            collapsed.append(ch)
    key = "".join(collapsed)
    if len(key) > 3 and key.endswith("e"):
        key = key[:-1]
    return key


def alias_similarity(a: str, b: str) -> float:
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return 0.0
    if fa == fb:
        return 1.0
    plain = SequenceMatcher(None, fa, fb).ratio()
    phonetic = SequenceMatcher(None, sound(a), sound(b)).ratio()
    best = max(plain, phonetic * 0.95)
    shorter, longer = sorted((fa, fb), key=len)
    if len(shorter) >= 3 and longer.startswith(shorter):
        best = max(best, 0.8)
    return round(best, 4)


def score(query: dict, candidate: dict) -> tuple[float, list[str]]:
    """(score 0..1, reasons) for one candidate; score 0 when the alias is too far off. The
    alias reason is "same_alias" when it is the same name (spelling aside: fold), else
    "alias"."""
    similarity = alias_similarity(query["alias"], candidate["alias"])
    if similarity < MIN_ALIAS_SIMILARITY:
        return 0.0, []
    total = WEIGHTS["alias"] * similarity
    reasons = ["same_alias" if similarity == 1.0 else "alias"]
    if query.get("nationality") and query["nationality"] == candidate.get("nationality"):
        total += WEIGHTS["nationality"]
        reasons.append("nationality")
    if query.get("birth_year") and candidate.get("birth_year"):
        off = abs(query["birth_year"] - candidate["birth_year"])
        if off <= 1:
            total += WEIGHTS["birth_year"] if off == 0 else WEIGHTS["birth_year_near"]
            reasons.append("birth_year")
    if query.get("clinic_id") and query["clinic_id"] in candidate.get("recent_clinic_ids", ()):
        total += WEIGHTS["clinic"]
        reasons.append("clinic")
    return round(total, 4), reasons


def rank(query: dict, candidates: list[dict], limit: int = 10) -> list[tuple[dict, float, list]]:
    """Best first: by score (the same name scores above a variant with the same details),
    then the person met most recently (`last_met_at`, an ISO time in UTC; never met last),
    then by alias."""
    scored = [(c, *score(query, c)) for c in candidates]
    scored = [s for s in scored if s[1] > 0]
    # Stable sorts, least significant key first (matching.js sorts the same way).
    scored.sort(key=lambda s: fold(s[0]["alias"]))
    scored.sort(key=lambda s: s[0].get("last_met_at") or "", reverse=True)
    scored.sort(key=lambda s: -s[1])
    return scored[:limit]
