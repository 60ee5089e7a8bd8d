// screens/person-form.js — fix a new person the server refused (alias, nationality, birth
// year, gender, languages). The edit replaces the waiting outbox entry, same id.

import * as db from "../db.js";
import * as drafts from "../drafts.js";
import {
  checkedValues,
  choice,
  errorBox,
  field,
  input,
  intOrNull,
  onSave,
  saveBar,
  showErrors,
  showRefusal,
  value,
} from "../forms.js";
import { t } from "../i18n.js";
import * as outbox from "../outbox.js";
import { h, notice } from "../ui.js";
import { options } from "../vocabulary.js";
import { empty } from "./common.js";
import { birthYearProblem, countrySelect, languageChecklist } from "./conversation-form.js";

export async function render({ id }) {
  const entry = await outbox.entryFor(id);
  if (!entry) {
    const known = await db.get("persons", id);
    return {
      title: known ? known.alias : t("Person"),
      node: empty(t("This person has been sent; changes are made in the back office.")),
      back: "#/outbox",
    };
  }
  const body = entry.body;
  const form = h(
    "form",
    { class: "form", novalidate: true },
    errorBox(),
    field(
      t("Alias (work name as she gives it)"),
      input("alias", { value: body.alias, maxlength: 100, required: true }),
      { name: "alias" },
    ),
    h(
      "div",
      { class: "pair" },
      field(t("Nationality"), countrySelect("nationality", body.nationality), { name: "nationality" }),
      field(
        t("Birth year"),
        input("birth_year", { type: "number", inputmode: "numeric", value: body.birth_year ?? "" }),
        {
          name: "birth_year",
        },
      ),
    ),
    choice(
      "gender",
      options("genders"),
      body.gender || "unknown",
      { legend: t("Gender"), compact: true },
    ),
    languageChecklist("languages", body.languages || []),
    saveBar(t("Save person")),
  );
  const draftKey = `person:${id}`;
  const draft = drafts.keep(form, { key: draftKey, found: await drafts.find(draftKey), title: body.alias });
  onSave(form, async () => {
    const alias = String(value(form, "alias") || "")
      .trim()
      .replace(/\s+/g, " ");
    const year = intOrNull(value(form, "birth_year"));
    const errors = {};
    if (!alias) errors.alias = [t("Give the alias she uses.")];
    const problem = birthYearProblem(year);
    if (problem) errors.birth_year = [problem];
    if (Object.keys(errors).length) {
      showErrors(form, t("Please check the marked fields."), errors);
      return;
    }
    await outbox.save("person", id, {
      alias,
      nationality: value(form, "nationality") || null,
      birth_year: year,
      gender: value(form, "gender") || "unknown",
      languages: checkedValues(form, "languages"),
    });
    await draft.clear();
    notice(t("Person saved on the phone."), "ok");
    location.replace("#/outbox");
  });
  if (entry.state === "attention" && entry.error) {
    queueMicrotask(() => showRefusal(form, entry.error));
  }
  return {
    name: "person-form",
    title: t("Fix person"),
    node: h("section", { class: "screen" }, form),
    back: "#/outbox",
  };
}
