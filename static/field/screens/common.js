// screens/common.js — small pieces several screens show. The code lists and their labels come
// from the pull (../vocabulary.js).

import { current, humanize, t } from "../i18n.js";
import { h } from "../ui.js";
import { label } from "../vocabulary.js";

// Countries and languages most often met, first in the pickers.
export const COMMON_COUNTRIES = [
  "TH",
  "RO",
  "NG",
  "CN",
  "VN",
  "BG",
  "HU",
  "ES",
  "BR",
  "DO",
  "CO",
  "UA",
  "PH",
  "DK",
];
export const COMMON_LANGUAGES = [
  "th",
  "ro",
  "en",
  "es",
  "zh",
  "vi",
  "bg",
  "hu",
  "pt",
  "ru",
  "uk",
  "tl",
  "da",
];

export function concernBadge(level) {
  if (!level) return null;
  return h("span", { class: `badge concern concern-${level}` }, label("concern_levels", level));
}

export function pendingBadge(record) {
  return record && record.pending ? h("span", { class: "badge pending" }, t("Not sent yet")) : null;
}

export function empty(text) {
  return h("p", { class: "empty" }, text);
}

export function definition(items) {
  return h(
    "dl",
    { class: "facts" },
    items
      .filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))),
  );
}

/** The label of an organisation code (supplies, indicators) in the phone's language: the
 * pull's label in that language (fallbacks already filled in by the server); from a pull
 * older than labels per language, its one label; else the code made readable. */
export function codeLabel(ref, kind, code) {
  const name = kind === "supplies" ? "supply_labels" : "indicator_labels";
  const byLanguage = ((ref && ref[`${name}_by_language`]) || {})[code] || {};
  return byLanguage[current()] || ((ref && ref[name]) || {})[code] || humanize(code);
}

/** The reference lists of the last pull (supplies, indicators, ...). */
export async function reference(db) {
  return (await db.getMeta("reference")) || {};
}
