"""static/field/matching.js is a faithful port of outreach/persons/matching.py: the phone,
offline, ranks persons met before exactly as the server does."""

import random
import sys
import unicodedata
from difflib import SequenceMatcher

import pytest

from outreach.persons import matching

pytestmark = pytest.mark.browser

NAMES = [
    "Jasmine",
    "Yasmin",
    "Jassmine",
    "Ploy",
    "Ploi",
    "Nok",
    "Noi",
    "Mai",
    "May",
    "Lin",
    "Linh",
    "Cristina",
    "Kristina",
    "Christina",
    "Natasha",
    "Natascha",
    "Nataša",
    "Ánná-Maria",
    "Anna Maria",
    "Bianca",
    "Bjanka",
    "Phuong",
    "Fuong",
    "Thu",
    "Tu",
    "Quynh",
    "Kvin",
    "Ngoc",
    "Xiao Yan",
    "Ksiao",
    "Zsófia",
    "Søren",
    "Åse",
    "Œuvre",
    "Straße",
    "STRASSE",
    "İpek",
    "Ιωάννα",
    "Σοφία",
    "ナナ",
    "ลิน",
    "Джулия",
    "Юлия",
    "Ｂｅｌｌａ",
    "ﬁona",
    "O'Neil",
    "J.Lo",
    "Bee",
    "Bea",
    "Beatrice",
    "Precious",
    "Presious",
    "Blessing",
    "Blesing",
    "Joy",
    "Joi",
    "",
    "123",
    "Eeva",
    "Ieva",
    "Louise",
    "Luise",
    "Mercy",
    "Mersi",
    "Gift",
    "Kitty",
    "Kitti",
]


def _mutate(rng: random.Random, name: str) -> str:
    letters = "abcdefghijklmnopqrstuvwxyzæøåéüñ "
    chars = list(name)
    for _ in range(rng.randint(0, 3)):
        op = rng.random()
        position = rng.randint(0, len(chars))
        if op < 0.35 and chars:
            chars.pop(min(position, len(chars) - 1))
        elif op < 0.7:
            chars.insert(position, rng.choice(letters))
        elif chars:
            chars[min(position, len(chars) - 1)] = rng.choice(letters)
    text = "".join(chars)
    return text.upper() if rng.random() < 0.1 else text


@pytest.fixture
def js(phone):
    device = phone()
    device.page.goto(f"{device.server.url}/field/")
    device.page.wait_for_selector("html[data-ready=true]")

    def run(expression: str, arg):
        """Evaluates `expression` with `m` = matching.js and `arg` = the given value."""
        script = f"const m = await import('/static/field/matching.js'); return {expression};"
        return device.page.evaluate(f"async (arg) => {{ {script} }}", arg)

    return run


def test_fold_agrees_with_python_on_every_character(js):
    chars = [
        chr(cp)
        for cp in range(0x20, 0x30000)
        if not 0xD800 <= cp <= 0xDFFF and unicodedata.category(chr(cp)) != "Cn"
    ]
    folded = js("arg.map((c) => m.fold(c))", chars)
    different = [
        (hex(ord(c)), matching.fold(c), f)
        for c, f in zip(chars, folded, strict=True)
        if matching.fold(c) != f
    ]
    # Python and Chromium may know different Unicode versions; nothing else may differ.
    assert len(different) <= 20, different[:50]
    assert not [d for d in different if int(d[0], 16) < 0x2000], different


def test_sound_and_similarity_agree_with_python(js):
    rng = random.Random(2019)
    pairs = [(a, b) for a in NAMES for b in NAMES]
    pairs += [(n, _mutate(rng, n)) for n in NAMES for _ in range(20)]
    results = js(
        "arg.map(([a, b]) => [m.sound(a), m.aliasSimilarity(a, b), m.ratio(m.fold(a), m.fold(b))])",
        pairs,
    )
    for (a, b), (sound, similarity, ratio) in zip(pairs, results, strict=True):
        assert sound == matching.sound(a), a
        assert similarity == matching.alias_similarity(a, b), (a, b)
        assert ratio == SequenceMatcher(None, matching.fold(a), matching.fold(b)).ratio(), (a, b)


def test_ratio_agrees_on_long_sequences_where_popular_characters_are_dropped(js):
    rng = random.Random(7)
    pairs = []
    for _ in range(60):
        alphabet = "abcde"[: rng.randint(2, 5)]
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(150, 320)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(190, 320)))
        pairs.append((a, b))
    ratios = js("arg.map(([a, b]) => m.ratio(a, b))", pairs)
    assert ratios == [SequenceMatcher(None, a, b).ratio() for a, b in pairs]


def test_round_is_pythons_round_half_to_even_on_the_exact_value(js):
    rng = random.Random(3)
    values = [0.03125, 0.00005, 0.12345, 2.675, 0.5, 1.00005, 0.99995, 1e-300, 123.456789]
    values += [k / 2 ** rng.randint(1, 20) for k in range(1, 200, 7)]
    values += [rng.random() for _ in range(500)]
    assert js("arg.map((x) => m.pyRound(x, 4))", values) == [round(v, 4) for v in values]


def test_scores_and_ranking_agree_with_python(js):
    rng = random.Random(11)
    clinics = [f"c{i}" for i in range(4)]
    candidates = [
        {
            "id": str(i),
            "alias": rng.choice(NAMES) if rng.random() < 0.6 else _mutate(rng, rng.choice(NAMES)),
            "nationality": rng.choice(["TH", "RO", "NG", None]),
            "birth_year": rng.choice([None, *range(1985, 2000)]),
            "recent_clinic_ids": rng.sample(clinics, rng.randint(0, 2)),
            # Few distinct times, so that equal scores are often told apart by them.
            "last_met_at": rng.choice(
                [None, "2025-11-02T10:15:00+00:00", "2026-04-30T21:05:09+00:00"]
            ),
        }
        for i in range(150)
    ]
    queries = [
        {
            "alias": _mutate(rng, rng.choice(NAMES)),
            "nationality": rng.choice(["TH", "RO", None]),
            "birth_year": rng.choice([None, 1990, 1995]),
            "clinic_id": rng.choice([None, *clinics]),
        }
        for _ in range(60)
    ]
    ranked = js(
        "arg.queries.map((q) => m.rank(q, arg.candidates, 10)"
        ".map((r) => [r.person.id, r.score, r.reasons]))",
        {"queries": queries, "candidates": candidates},
    )
    for query, phone_ranking in zip(queries, ranked, strict=True):
        server_ranking = [[c["id"], s, r] for c, s, r in matching.rank(query, candidates, 10)]
        assert phone_ranking == server_ranking, query


def test_the_weights_and_threshold_are_the_servers(js):
    assert js("[m.WEIGHTS, m.MIN_ALIAS_SIMILARITY]", None) == [
        matching.WEIGHTS,
        matching.MIN_ALIAS_SIMILARITY,
    ]
    assert sys.maxunicode >= 0x10FFFF
