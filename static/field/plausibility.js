// plausibility.js — the phone's side of outreach/plausibility.py (docs/plausibility.md): what
// the server refuses is refused in the form, so the outbox never holds it; a number above the
// organisation's usual most (the pull's `limits`) is asked about next to its field, and the
// record is queued only once the nurse has ticked that it is right.

import { formatNumber, t } from "./i18n.js";
import { h } from "./ui.js";

// The same hard limits as the server's (outreach/plausibility.py).
export const MAX_COUNT = 10000;
export const MAX_PERSONS_PRESENT = 100;
const CLOCK_SLACK_MS = 5 * 60 * 1000;

export const FUTURE = () => t("This time is in the future; give the time it happened.");
export const BAD_COUNT = () => t("Give a whole number from 0 to 10000.");

/** An ISO time after now (a wrong day or year typed). */
export function inFuture(iso, now = Date.now()) {
  return Boolean(iso) && new Date(iso).getTime() > now + CLOCK_SLACK_MS;
}

/** The numbers above the organisation's usual most: [{field, value, limit}], `field` named
 * as the server names it ("persons_present", "supplies.condoms"). Values the record already
 * had (`before`) were saved once and are not asked about again. */
export function unusualNumbers(limits, { persons_present: present, supplies }, before = {}) {
  if (!limits) return [];
  const found = [];
  if (present !== null && present > limits.persons_present && present !== before.persons_present)
    found.push({ field: "persons_present", value: present, limit: limits.persons_present });
  for (const [code, count] of Object.entries(supplies || {})) {
    const limit = (limits.supplies || {})[code];
    if (limit !== undefined && count > limit && count !== (before.supplies || {})[code])
      found.push({ field: `supplies.${code}`, value: count, limit });
  }
  return found;
}

/** Shows each warning under its field (the one whose error slot is named by `field`): the
 * question, the usual most, and a box to tick; the field alone is marked. Returns whether
 * every warning is ticked for the number now typed. */
export function askAbout(form, warnings, question) {
  const wanted = new Map(warnings.map((w) => [w.field, w]));
  for (const box of form.querySelectorAll(".field-warning")) {
    const w = wanted.get(box.dataset.warningFor);
    if (!w || Number(box.dataset.value) !== w.value) clearWarning(box);
  }
  let confirmed = true;
  for (const w of warnings) {
    const slot = form.querySelector(`.field-error[data-error-for="${CSS.escape(w.field)}"]`);
    if (!slot) continue;
    const holder = slot.parentElement;
    let box = holder.querySelector(`.field-warning[data-warning-for="${CSS.escape(w.field)}"]`);
    if (!box) {
      box = warningBox(w, question(w));
      slot.after(box);
      holder.classList.add("has-warning");
      // A changed number is a new answer: the question goes until the next save.
      const input = holder.querySelector("input[type=number], input:not([type])");
      if (input) input.addEventListener("input", () => clearWarning(box), { once: true });
    }
    if (!box.querySelector("input[type=checkbox]").checked) confirmed = false;
  }
  return confirmed;
}

function warningBox(w, question) {
  const value = formatNumber(w.value);
  return h(
    "div",
    { class: "field-warning", role: "alert", "data-warning-for": w.field, "data-value": String(w.value) },
    h(
      "p",
      {},
      h("strong", {}, question),
      " ",
      t("The usual most is %(limit)s per visit.", { limit: formatNumber(w.limit) }),
    ),
    h(
      "label",
      { class: "inline-check" },
      h("input", { type: "checkbox", name: `confirm:${w.field}` }),
      h("span", {}, t("Yes, %(count)s is right", { count: value })),
    ),
  );
}

function clearWarning(box) {
  if (!box.isConnected) return;
  box.parentElement.classList.remove("has-warning");
  box.remove();
}
