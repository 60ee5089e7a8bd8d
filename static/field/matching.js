// matching.js — recognising a person met before, offline: a faithful port of
// outreach/persons/matching.py (fold, sound, difflib's SequenceMatcher.ratio, the weights and
// the threshold), so the phone ranks suggestions exactly as the server does. Keep in step;
// tests/field/test_matching_port.py compares both on many pairs.

const SUBSTITUTIONS = [
  ["ph", "f"],
  ["th", "t"],
  ["ck", "k"],
  ["c", "k"],
  ["q", "k"],
  ["w", "v"],
  ["z", "s"],
  ["y", "i"],
  ["x", "ks"],
  ["ee", "i"],
  ["ie", "i"],
  ["ou", "u"],
];
export const WEIGHTS = { alias: 0.6, nationality: 0.15, birth_year: 0.15, birth_year_near: 0.1, clinic: 0.1 };
export const MIN_ALIAS_SIMILARITY = 0.5;

// Python's str.casefold() where it differs from lower-casing (Unicode full case folding):
// Cherokee folds to upper case, a few letters fold to other letters or to two.
const FOLD_SPECIAL = new Map([
  [0xdf, "ss"],
  [0x1e9e, "ss"],
  [0x345, "\u03b9"],
  [0x3c2, "\u03c3"],
  [0x1c80, "\u0432"],
  [0x1c81, "\u0434"],
  [0x1c82, "\u043e"],
  [0x1c83, "\u0441"],
  [0x1c84, "\u0442"],
  [0x1c85, "\u0442"],
  [0x1c86, "\u044a"],
  [0x1c87, "\u0463"],
  [0x1c88, "\ua64b"],
]);

function casefoldChar(ch) {
  const cp = ch.codePointAt(0);
  const special = FOLD_SPECIAL.get(cp);
  if (special !== undefined) return special;
  if (cp >= 0x13a0 && cp <= 0x13f5) return ch; // Cherokee capitals stay
  if (cp >= 0x13f8 && cp <= 0x13fd) return String.fromCodePoint(cp - 8);
  if (cp >= 0xab70 && cp <= 0xabbf) return String.fromCodePoint(cp - 0xab70 + 0x13a0);
  return ch.toLowerCase();
}

const LETTER = /^\p{L}$/u; // Python's str.isalpha(): categories Lu, Ll, Lt, Lm, Lo

/** Lower case, no accents, letters only: 'Ánná-Maria' -> 'annamaria'. */
export function fold(text) {
  const decomposed = String(text || "").normalize("NFKD");
  let folded = "";
  for (const ch of decomposed) folded += casefoldChar(ch);
  let out = "";
  for (const ch of folded) if (LETTER.test(ch)) out += ch;
  return out;
}

const codePoints = (s) => Array.from(s);

/** A rough phonetic key: 'Jassmine' and 'Yasmin' come out close. */
export function sound(text) {
  let key = fold(text);
  for (const [from, to] of SUBSTITUTIONS) key = key.split(from).join(to);
  if (key.startsWith("j")) key = "i" + key.slice(1);
  const collapsed = [];
  for (const ch of key) if (!collapsed.length || collapsed[collapsed.length - 1] !== ch) collapsed.push(ch);
  if (collapsed.length > 3 && collapsed[collapsed.length - 1] === "e") collapsed.pop();
  return collapsed.join("");
}

// difflib.SequenceMatcher(None, a, b).ratio(): Ratcliff/Obershelp as CPython implements it,
// including its "popular element" heuristic (autojunk) for sequences of 200 or more.
export function ratio(aText, bText) {
  const a = codePoints(aText);
  const b = codePoints(bText);
  const b2j = new Map();
  b.forEach((elt, i) => {
    if (!b2j.has(elt)) b2j.set(elt, []);
    b2j.get(elt).push(i);
  });
  if (b.length >= 200) {
    const ntest = Math.floor(b.length / 100) + 1;
    for (const [elt, idxs] of [...b2j]) if (idxs.length > ntest) b2j.delete(elt);
  }
  const findLongestMatch = (alo, ahi, blo, bhi) => {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map();
    for (let i = alo; i < ahi; i++) {
      const newj2len = new Map();
      for (const j of b2j.get(a[i]) || []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) || 0) + 1;
        newj2len.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = newj2len;
    }
    // No junk function (isjunk=None): a best match extends over equal neighbours, the
    // popular elements left out of b2j included, as in CPython.
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize]) {
      bestsize++;
    }
    return [besti, bestj, bestsize];
  };
  let matches = 0;
  const queue = [[0, a.length, 0, b.length]];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop();
    const [i, j, k] = findLongestMatch(alo, ahi, blo, bhi);
    if (k) {
      matches += k;
      if (alo < i && blo < j) queue.push([alo, i, blo, j]);
      if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
    }
  }
  const length = a.length + b.length;
  return length ? (2.0 * matches) / length : 1.0;
}

/** Python's round(x, digits): correctly rounded from the exact binary value, ties to even. */
export function pyRound(x, digits) {
  if (!Number.isFinite(x) || x === 0) return x;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent;
  if (exponentBits === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  if (exponent >= 0) return x; // an integer already
  const numerator = mantissa * 10n ** BigInt(digits);
  const denominator = 1n << BigInt(-exponent);
  let quotient = numerator / denominator;
  const twice = 2n * (numerator % denominator);
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  const value = Number(`${quotient}e-${digits}`);
  return x < 0 ? -value : value;
}

function startsWith(longer, shorter) {
  return longer.startsWith(shorter);
}

export function aliasSimilarity(a, b) {
  const fa = fold(a);
  const fb = fold(b);
  if (!fa || !fb) return 0.0;
  if (fa === fb) return 1.0;
  const plain = ratio(fa, fb);
  const phonetic = ratio(sound(a), sound(b));
  let best = Math.max(plain, phonetic * 0.95);
  // sorted((fa, fb), key=len): stable, so on equal lengths fa stays first.
  const [shorter, longer] = codePoints(fb).length < codePoints(fa).length ? [fb, fa] : [fa, fb];
  if (codePoints(shorter).length >= 3 && startsWith(longer, shorter)) best = Math.max(best, 0.8);
  return pyRound(best, 4);
}

/** [score 0..1, reasons] for one candidate; score 0 when the alias is too far off. The alias
 * reason is "same_alias" for the same name (spelling aside), else "alias". */
export function score(query, candidate) {
  const similarity = aliasSimilarity(query.alias, candidate.alias);
  if (similarity < MIN_ALIAS_SIMILARITY) return [0.0, []];
  let total = WEIGHTS.alias * similarity;
  const reasons = [similarity === 1.0 ? "same_alias" : "alias"];
  if (query.nationality && query.nationality === candidate.nationality) {
    total += WEIGHTS.nationality;
    reasons.push("nationality");
  }
  if (query.birth_year && candidate.birth_year) {
    const off = Math.abs(query.birth_year - candidate.birth_year);
    if (off <= 1) {
      total += off === 0 ? WEIGHTS.birth_year : WEIGHTS.birth_year_near;
      reasons.push("birth_year");
    }
  }
  if (query.clinic_id && (candidate.recent_clinic_ids || []).includes(query.clinic_id)) {
    total += WEIGHTS.clinic;
    reasons.push("clinic");
  }
  return [pyRound(total, 4), reasons];
}

// Python compares strings by code point; JavaScript's < by UTF-16 unit.
function compareCodePoints(x, y) {
  const a = codePoints(x);
  const b = codePoints(y);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a[i].codePointAt(0) - b[i].codePointAt(0);
    if (d) return d;
  }
  return a.length - b.length;
}

/** [{person, score, reasons}], best first, as outreach.persons.matching.rank: by score, then
 * the person met most recently (last_met_at, ISO in UTC; never met last), then by alias. */
export function rank(query, candidates, limit = 10) {
  const scored = candidates
    .map((person) => {
      const [value, reasons] = score(query, person);
      return { person, score: value, reasons, key: fold(person.alias) };
    })
    .filter((s) => s.score > 0);
  const lastMet = (s) => s.person.last_met_at || "";
  scored.sort(
    (x, y) =>
      y.score - x.score ||
      (lastMet(x) === lastMet(y) ? 0 : lastMet(x) < lastMet(y) ? 1 : -1) ||
      compareCodePoints(x.key, y.key),
  );
  return scored
    .slice(0, limit)
    .map(({ person, score: value, reasons }) => ({ person, score: value, reasons }));
}
