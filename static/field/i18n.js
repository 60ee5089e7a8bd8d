// i18n.js — the phone's strings come from the server's catalogue (/field/i18n/<lang>.json,
// built from the same .po files as the back office; cached by the service worker).
// t(msgid, params) translates an English msgid; N_(msgid) only marks one for extraction
// (Babel's JavaScript extractor finds both: babel.cfg, outreach/field/views.py).

export const LANGUAGES = { da: "Dansk", en: "English" };
const PREF_KEY = "outreach.field.lang"; // a UI preference: the only kind of thing in localStorage

let lang = "da";
let messages = {};
let names = { countries: {}, languages: {}, regions: {} };

export function N_(msgid) {
  return msgid;
}

export function current() {
  return lang;
}

/** The phone's saved choice, else the language of the account, else the phone's own. */
export function preferred(accountLocale = null) {
  const saved = localStorage.getItem(PREF_KEY);
  if (saved in LANGUAGES) return saved;
  if (accountLocale in LANGUAGES) return accountLocale;
  return (navigator.language || "").toLowerCase().startsWith("en") ? "en" : "da";
}

async function fetchJson(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

/** Loads a language; `remember` saves it as the phone's choice (the switch does). */
export async function load(code, { remember = false } = {}) {
  const next = code in LANGUAGES ? code : "da";
  try {
    [messages, names] = await Promise.all([
      fetchJson(`/field/i18n/${next}.json`),
      fetchJson(`/field/codes/${next}.json`),
    ]);
  } catch {
    // Not cached yet and offline: the English msgids are the text.
    messages = {};
  }
  lang = next;
  if (remember) localStorage.setItem(PREF_KEY, lang);
  document.documentElement.lang = lang;
}

export function t(msgid, params) {
  let text = messages[msgid] || msgid;
  if (params) {
    text = text.replace(/%\((\w+)\)[sd]|%%/g, (match, key) => {
      if (match === "%%") return "%";
      return key in params ? String(params[key]) : match;
    });
  }
  return text;
}

export function countryName(code) {
  return (code && names.countries[code]) || code || "";
}

export function languageName(code) {
  return (code && names.languages[code]) || code || "";
}

export function regionName(slug) {
  return (slug && names.regions[slug]) || slug || "";
}

/** [code, name] pairs sorted by name in the current language; `first` codes lead. */
export function sortedNames(kind, first = []) {
  const table = kind === "countries" ? names.countries : names.languages;
  const collator = new Intl.Collator(lang);
  const all = Object.entries(table).sort((a, b) => collator.compare(a[1], b[1]));
  const lead = first.filter((c) => c in table).map((c) => [c, table[c]]);
  return { lead, all };
}

function locale() {
  return lang === "da" ? "da-DK" : "en-GB";
}

export function formatNumber(value) {
  return new Intl.NumberFormat(locale()).format(value);
}

export function formatDate(value) {
  if (!value) return "";
  return new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short", year: "numeric" }).format(
    new Date(value),
  );
}

export function formatTime(value) {
  if (!value) return "";
  return new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }).format(new Date(value));
}

export function formatDateTime(value) {
  if (!value) return "";
  return new Intl.DateTimeFormat(locale(), {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(value));
}

/** Upper-cases the first letter and turns snake_case into words: organisation codes have
 * no labels of their own ("leaflet_th" -> "Leaflet th"). */
export function humanize(code) {
  const words = String(code || "")
    .replace(/_/g, " ")
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
