// forms.js — the form pieces every screen uses: big choice buttons, checklists, steppers,
// selects, labelled fields, and the server's field errors shown where they belong.

import { t } from "./i18n.js";
import { h, icon } from "./ui.js";

let counter = 0;
const uid = (name) => `f-${name}-${++counter}`;

export function field(label, control, { hint = null, name = null } = {}) {
  const id = control.id || uid(name || "field");
  control.id = id;
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "field-error", "data-error-for": name || control.name || "", hidden: true }),
  );
}

export function input(name, { type = "text", value = "", ...props } = {}) {
  return h("input", { name, type, value: value ?? "", ...props });
}

export function textarea(name, value = "", props = {}) {
  return h("textarea", { name, rows: 3, ...props, value: value ?? "" });
}

/** A select; options are [value, label] pairs, `lead` ones first in their own group. */
export function select(name, options, value, { empty = null, lead = [], leadLabel = null, ...props } = {}) {
  const option = ([v, label]) => h("option", { value: v, selected: v === value }, label);
  return h(
    "select",
    { name, ...props },
    empty !== null ? h("option", { value: "", selected: !value }, empty) : null,
    lead.length ? h("optgroup", { label: leadLabel || "" }, lead.map(option)) : null,
    lead.length ? h("optgroup", { label: t("All") }, options.map(option)) : options.map(option),
  );
}

/** Big buttons, one choice (radio). options: [{value, label, class}]. */
export function choice(
  name,
  options,
  value,
  { legend, onchange = null, required = false, compact = false } = {},
) {
  return h(
    "fieldset",
    { class: ["choice", compact && "choice-compact"], "data-field": name },
    h("legend", {}, legend),
    h(
      "div",
      { class: "choice-options" },
      options.map((o) =>
        h(
          "label",
          { class: ["choice-option", o.class] },
          h("input", {
            type: "radio",
            name,
            value: o.value,
            checked: o.value === value,
            required,
            onchange: onchange ? () => onchange(o.value) : null,
          }),
          h("span", {}, o.label),
        ),
      ),
    ),
    h("p", { class: "field-error", "data-error-for": name, hidden: true }),
  );
}

export function yesNo(name, value, legend, onchange = null) {
  return choice(
    name,
    [
      { value: "no", label: t("No") },
      { value: "yes", label: t("Yes") },
    ],
    value ? "yes" : "no",
    { legend, onchange: onchange ? (v) => onchange(v === "yes") : null, compact: true },
  );
}

/** Checkboxes shown as chips. options: [{value, label, note}]. */
export function checklist(name, options, values, { legend } = {}) {
  const chosen = new Set(values || []);
  return h(
    "fieldset",
    { class: "checklist", "data-field": name },
    h("legend", {}, legend),
    h(
      "div",
      { class: "checklist-options" },
      options.map((o) =>
        h(
          "label",
          { class: ["check-option", o.note && "check-option-noted"] },
          h("input", { type: "checkbox", name, value: o.value, checked: chosen.has(o.value) }),
          h("span", {}, o.label, o.note ? h("small", {}, o.note) : null),
        ),
      ),
    ),
    h("p", { class: "field-error", "data-error-for": name, hidden: true }),
  );
}

/** − [n] + for counts; the number can also be typed. `errorFor`: the name the server gives
 * its errors (e.g. "supplies.condoms"), when it is not the input's name. */
export function stepper(name, label, value, { min = 0, max = 100000, note = null, errorFor = name } = {}) {
  const id = uid(name);
  const box = h("input", {
    id,
    name,
    type: "number",
    inputmode: "numeric",
    min,
    max,
    value: value ?? 0,
    class: "stepper-value",
  });
  const bump = (delta) => {
    const current = Number.parseInt(box.value || "0", 10) || 0;
    box.value = String(Math.min(max, Math.max(min, current + delta)));
    box.dispatchEvent(new Event("input", { bubbles: true }));
  };
  return h(
    "div",
    { class: ["stepper", note && "stepper-noted"], "data-field": name },
    h("label", { for: id, class: "stepper-label" }, label, note ? h("small", {}, note) : null),
    h(
      "div",
      { class: "stepper-controls" },
      h(
        "button",
        { type: "button", class: "step", "aria-label": t("Fewer"), onclick: () => bump(-1) },
        icon("minus"),
      ),
      box,
      h(
        "button",
        { type: "button", class: "step", "aria-label": t("More"), onclick: () => bump(1) },
        icon("plus"),
      ),
    ),
    h("p", { class: "field-error", "data-error-for": errorFor, hidden: true }),
  );
}

export function value(form, name) {
  const el = form.elements.namedItem(name);
  if (!el) return null;
  return el.value ?? null;
}

export function checkedValues(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

export function intOrNull(text) {
  if (text === null || text === undefined || String(text).trim() === "") return null;
  const n = Number(String(text).trim());
  return Number.isInteger(n) ? n : Number.NaN;
}

export function textOrNull(text) {
  const s = String(text ?? "").trim();
  return s ? s : null;
}

/** Shows {field: [messages]} next to the fields; the rest (and `message`) in the form's box. */
export function showErrors(form, message, errors = {}) {
  for (const el of form.querySelectorAll(".field-error")) {
    el.hidden = true;
    el.textContent = "";
  }
  for (const el of form.querySelectorAll(".has-error")) el.classList.remove("has-error");
  const box = form.querySelector(".form-errors");
  const general = [];
  for (const [fieldName, messages] of Object.entries(errors || {})) {
    const text = flatten(messages).join(" ");
    const slot = form.querySelector(`.field-error[data-error-for="${CSS.escape(fieldName)}"]`);
    if (slot) {
      slot.textContent = text;
      slot.hidden = false;
      slot.parentElement.classList.add("has-error");
    } else general.push(fieldName === "_schema" ? text : `${fieldName}: ${text}`);
  }
  if (box) {
    box.replaceChildren();
    if (message) box.append(h("p", { class: "form-errors-title" }, message));
    for (const line of general) box.append(h("p", {}, line));
    box.hidden = !message && !general.length;
    if (!box.hidden) box.scrollIntoView({ block: "center" });
  }
}

function flatten(messages) {
  if (Array.isArray(messages)) return messages.flatMap(flatten);
  if (messages && typeof messages === "object") {
    return Object.entries(messages).flatMap(([k, v]) => flatten(v).map((m) => `${k}: ${m}`));
  }
  return [String(messages)];
}

/** A record the server refused, opened to be fixed: its message and its field errors. */
export function showRefusal(form, error) {
  const errors = { ...(error.errors || {}) };
  showErrors(form, t("The server did not accept this record. Please correct it and save again."), errors);
  const box = form.querySelector(".form-errors");
  if (box && error.message) {
    box.append(h("p", { class: "form-errors-detail" }, `${t("The server said:")} ${error.message}`));
    box.hidden = false;
  }
}

export function errorBox() {
  return h("div", { class: "form-errors", role: "alert", hidden: true });
}

export function saveBar(label, extra = null) {
  return h("div", { class: "save-bar" }, extra, h("button", { type: "submit", class: "primary big" }, label));
}

/** The one way a form saves: its submit buttons are disabled while `save` runs and a second
 * submit meanwhile (a double tap) is ignored. They come back when the form stays on screen
 * (errors shown); a save that moved on to another screen leaves them disabled. */
export function onSave(form, save) {
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    const hash = location.hash;
    const buttons = [...form.querySelectorAll('button[type="submit"], button:not([type])')];
    for (const button of buttons) button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      await save(event);
    } finally {
      form.removeAttribute("aria-busy");
      if (location.hash === hash) {
        busy = false;
        for (const button of buttons) button.disabled = false;
      }
    }
  });
}
