// vocabulary.js — the code lists the server's vocabulary (outreach/vocabulary.py) sends in the
// pull's reference: each list's codes in order, and `labels`, {list: {code: English msgid}}.
// Labels are translated with the phone's catalogue when a screen is drawn, so a language
// switch shows them in the new language at once, also offline.

import * as db from "./db.js";
import { humanize, t } from "./i18n.js";

let reference = {};

/** Takes the reference lists of a pull; sync.js calls it before the screens hear of new data. */
export function use(lists) {
  reference = lists || {};
}

/** The lists of the last pull, kept in IndexedDB (at start-up). */
export async function load() {
  use(await db.getMeta("reference"));
}

/** The codes of a list ("clinic_kinds", "genders", ...) in the server's order. */
export function codes(list) {
  return reference[list] || [];
}

/** A code's label in the current language; a code without one is made readable. */
export function label(list, code) {
  if (!code) return "–";
  const msgid = ((reference.labels || {})[list] || {})[code];
  return msgid ? t(msgid) : humanize(code);
}

/** {value, label} choices of a list, for the form helpers. */
export function options(list) {
  return codes(list).map((code) => ({ value: code, label: label(list, code) }));
}
