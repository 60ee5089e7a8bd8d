"""Recognising a person met before from what she tells: alias, nationality, birth year.

The field app runs the same rules offline (static/field/matching.js); keep them in step.
"""

import unicodedata
from collections.abc import Callable
from difflib import SequenceMatcher
from functools import lru_cache

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


@lru_cache(maxsize=65536)  # ranking folds every alias of the organisation per query
def fold(text: str) -> str:
    """Lower case, no accents, letters only: 'Ánná-Maria' -> 'annamaria'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed.casefold() if c.isalpha())


def exact_form(text: str) -> str:
    """What an exact look-up compares (the keyed hash of persons.alias_lookup): as fold, but
    with digits, since 'Mai 2' is not 'Mai': 'Ánná-Maria 2' -> 'annamaria2'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed.casefold() if c.isalnum())


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
    return _similarity(fold(a), fold(b))


def _similarity(fa: str, fb: str) -> float:
    """alias_similarity of two folded aliases (fold is idempotent, so sound(fa) is sound(a))."""
    if not fa or not fb:
        return 0.0
    if fa == fb:
        return 1.0
    plain = SequenceMatcher(None, fa, fb).ratio()
    phonetic = SequenceMatcher(None, sound(fa), sound(fb)).ratio()
    best = max(plain, phonetic * 0.95)
    shorter, longer = sorted((fa, fb), key=len)
    if len(shorter) >= 3 and longer.startswith(shorter):
        best = max(best, 0.8)
    return round(best, 4)


# Below this bound an alias cannot reach MIN_ALIAS_SIMILARITY, whatever ratio() finds (with
# room for the rounding to 4 places).
_PRUNE_BELOW = MIN_ALIAS_SIMILARITY - 0.0001


def similarity_to(query_alias: str) -> Callable[[str], float]:
    """alias_similarity(query_alias, alias) as a function of alias, for ranking many aliases
    against one query (20,000 persons in docs/performance.md): each distinct alias is worked
    out once, and one too far off to reach MIN_ALIAS_SIMILARITY is told apart cheaply by an
    upper bound of both ratios (SequenceMatcher.quick_ratio, the shared letters) and answers
    0.0, which ranks exactly as its true value would (below the minimum)."""
    fq = fold(query_alias)
    sq = sound(fq)
    plain_bound, sound_bound = SequenceMatcher(None, "", fq), SequenceMatcher(None, "", sq)
    by_alias: dict[str, float] = {}
    by_folded: dict[str, float] = {}

    def of_folded(fa: str) -> float:
        shorter, longer = sorted((fq, fa), key=len)
        prefix = len(shorter) >= 3 and longer.startswith(shorter)
        if fq and fa and fq != fa and not prefix:
            plain_bound.set_seq1(fa)
            sound_bound.set_seq1(sound(fa))
            if max(plain_bound.quick_ratio(), sound_bound.quick_ratio() * 0.95) < _PRUNE_BELOW:
                return 0.0
        return _similarity(fq, fa)

    def similarity(alias: str) -> float:
        known = by_alias.get(alias)
        if known is None:
            fa = fold(alias)
            known = by_folded.get(fa)
            if known is None:
                known = by_folded[fa] = of_folded(fa)
            by_alias[alias] = known
        return known

    return similarity


def score(query: dict, candidate: dict, similarity_of=None) -> tuple[float, list[str]]:
    """(score 0..1, reasons) for one candidate; score 0 when the alias is too far off. The
    alias reason is "same_alias" when it is the same name (spelling aside: fold), else
    "alias". `similarity_of`: similarity_to(query["alias"]) when ranking many."""
    if similarity_of is None:
        similarity = alias_similarity(query["alias"], candidate["alias"])
    else:
        similarity = similarity_of(candidate["alias"])
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
    similarity_of = similarity_to(query["alias"])
    scored = [(c, *score(query, c, similarity_of)) for c in candidates]
    scored = [s for s in scored if s[1] > 0]
    # Stable sorts, least significant key first (matching.js sorts the same way).
    scored.sort(key=lambda s: fold(s[0]["alias"]))
    scored.sort(key=lambda s: s[0].get("last_met_at") or "", reverse=True)
    scored.sort(key=lambda s: -s[1])
    return scored[:limit]
