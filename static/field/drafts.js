// drafts.js — half-filled forms kept on the phone until they are saved or discarded: a reload,
// Back or a closed browser loses nothing. Every change of a form is written to IndexedDB
// (db.js, store "drafts", wiped at logout); opened again, the form offers "Continue draft" or
// "Discard". A draft keeps the ids the form gave its new records, so a resumed form that had
// in fact been saved replaces its own records instead of making new ones.

import * as db from "./db.js";
import { formatDateTime, t } from "./i18n.js";
import * as session from "./session.js";
import { ask } from "./ui.js";

/** The draft kept under `key` for the user logged in, or null. */
export async function find(key) {
  const found = await db.draft(key);
  const user = session.current();
  return found && user && found.user_id === user.id ? found : null;
}

/** The drafts of the user logged in. */
export async function list() {
  const user = session.current();
  return user ? (await db.drafts()).filter((d) => d.user_id === user.id) : [];
}

/** What a form holds: for each named control, the values typed or the options ticked. */
export function read(form) {
  const fields = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "button") continue;
    if (el.type === "checkbox" || el.type === "radio") {
      fields[el.name] = fields[el.name] || { checked: [] };
      if (el.checked) fields[el.name].checked.push(el.value);
    } else {
      fields[el.name] = fields[el.name] || { values: [] };
      fields[el.name].values.push(el.value);
    }
  }
  return fields;
}

function named(form, name) {
  return [...form.elements].filter((el) => el.name === name);
}

/** Puts saved values back and announces each change as the nurse's own (input and change
 * events), so that what depends on a field (a revealed block, suggestions) follows it. A
 * ticked option that the form does not show yet is added through the checklist's adder, a
 * select named `<name>-add` (languages). */
export function fill(form, fields) {
  const changed = [];
  for (const [name, saved] of Object.entries(fields)) {
    if (saved.checked) {
      const adder = form.elements.namedItem(`${name}-add`);
      for (const value of saved.checked) {
        if (!named(form, name).some((el) => el.value === value) && adder && adder.tagName === "SELECT") {
          adder.value = value;
          adder.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
      for (const el of named(form, name)) {
        const on = saved.checked.includes(el.value);
        if (el.checked === on) continue;
        el.checked = on;
        // A radio announces only the option chosen: its handler reads "this one now".
        if (on || el.type === "checkbox") changed.push(el);
      }
    } else {
      const els = named(form, name);
      saved.values.forEach((value, i) => {
        if (els[i] && els[i].value !== value) {
          els[i].value = value;
          changed.push(els[i]);
        }
      });
    }
  }
  for (const el of changed) {
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

/**
 * Keeps the form's draft under `key` from now on. `found` is the draft kept before (find()):
 * once the form is on screen the nurse is asked to continue it or discard it. `ids` holds the
 * ids the form gives its new records; a continued draft puts its own back into it. Optional:
 * `prepare(fields)` makes room for saved values (rows of opening hours), `state()` returns what
 * the form keeps outside its fields and `restore(state)` puts it back (may be async).
 * Returns {clear}: call it once the record is saved.
 */
export function keep(form, { key, found = null, ids = {}, title = "", prepare = null, state = null, restore = null }) {
  const hash = location.hash; // the form's own: a change event can come as the nurse leaves
  let active = !found; // nothing is written over a kept draft before the nurse chose
  let writing = null;
  let dirty = false;
  let cleared = false;

  async function write() {
    if (writing) {
      dirty = true;
      return writing;
    }
    writing = (async () => {
      do {
        dirty = false;
        const user = session.current();
        if (!user || cleared) return;
        await db.saveDraft({
          key,
          user_id: user.id,
          hash,
          title,
          ids: { ...ids },
          fields: read(form),
          state: state ? state() : null,
          saved_at: new Date().toISOString(),
        });
      } while (dirty && !cleared);
    })().finally(() => {
      writing = null;
    });
    return writing;
  }

  const changed = () => {
    if (active && !cleared) write();
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  async function offer() {
    if (!form.isConnected) return; // the nurse moved on before the form was shown
    const choice = await ask({
      title: t("Continue the draft?"),
      text: [t("This form was left half-filled (%(time)s).", { time: formatDateTime(found.saved_at) })],
      choices: [
        { value: "discard", label: t("Discard"), class: "secondary" },
        { value: "resume", label: t("Continue draft"), class: "primary" },
      ],
    });
    if (choice === "discard") {
      await db.deleteDraft(key);
    } else {
      // Continued (also when the question was dismissed: nothing is lost without a choice).
      Object.assign(ids, found.ids || {});
      if (prepare) prepare(found.fields || {});
      fill(form, found.fields || {});
      if (restore && found.state) await restore(found.state);
    }
    active = true;
  }
  // The screen is put on the page right after its render() resolves: ask after that.
  if (found) setTimeout(offer, 0);

  return {
    async clear() {
      cleared = true;
      if (writing) await writing;
      await db.deleteDraft(key);
    },
  };
}
