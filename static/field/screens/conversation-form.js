// screens/conversation-form.js — add a conversation, in a visit or outside one (phone, SMS,
// drop-in). First the person: as the alias is typed, persons met before are suggested,
// ranked offline by matching.js (nationality, birth year ±1, recent clinics), and only below
// them "New person". A new person goes into the outbox before the conversation.

import * as db from "../db.js";
import * as drafts from "../drafts.js";
import {
  checkedValues,
  checklist,
  choice,
  errorBox,
  field,
  input,
  intOrNull,
  onSave,
  saveBar,
  select,
  showErrors,
  showRefusal,
  textarea,
  textOrNull,
  value,
  yesNo,
} from "../forms.js";
import { countryName, formatDate, formatDateTime, languageName, sortedNames, t } from "../i18n.js";
import { rank } from "../matching.js";
import * as outbox from "../outbox.js";
import { FUTURE, inFuture } from "../plausibility.js";
import { newId } from "../records.js";
import { fromLocalInput, toLocalInput } from "../time.js";
import { fill, h, notice } from "../ui.js";
import { options } from "../vocabulary.js";
import { COMMON_COUNTRIES, COMMON_LANGUAGES, empty, reference } from "./common.js";
import { concernFields } from "./visit-form.js";

const SUGGESTIONS = 5; // cards shown at first; "Show more" adds as many again

export function birthYearProblem(year) {
  const last = new Date().getFullYear() - 12;
  if (year === null) return null;
  if (Number.isNaN(year) || year < 1920 || year > last) {
    return t("Give a year between 1920 and %(last)s.", { last });
  }
  return null;
}

function reasonText(reason) {
  return {
    same_alias: t("Same name"),
    alias: t("Similar name"),
    nationality: t("Same nationality"),
    birth_year: t("Born within a year"),
    clinic: t("Met at this clinic"),
  }[reason];
}

function personFacts(person) {
  return [
    person.nationality ? countryName(person.nationality) : null,
    person.birth_year ? t("born %(year)s", { year: person.birth_year }) : null,
  ]
    .filter(Boolean)
    .join(" · ");
}

// When and where she was last met, and how often: what tells persons of the same name apart.
function metFacts(person, clinicNames) {
  if (!person.last_met_at) return t("No conversations yet");
  return [
    t("Last met %(date)s", { date: formatDate(person.last_met_at) }),
    person.last_clinic_id ? clinicNames.get(person.last_clinic_id) : null,
    t("Conversations: %(count)s", { count: person.conversations || 0 }),
  ]
    .filter(Boolean)
    .join(" · ");
}

export function countrySelect(name, current) {
  const { lead, all } = sortedNames("countries", COMMON_COUNTRIES);
  return select(name, all, current || "", { empty: t("Not known"), lead, leadLabel: t("Often met") });
}

// The languages offered as one-tap chips (the most common ones; the others are one pick in the
// "Add another language" list): fewer rows, so a new person's details and the topics after
// them fit on a phone's screen.
const LANGUAGE_CHIPS = 8;

export function languageChecklist(name, values) {
  const codes = [...new Set([...COMMON_LANGUAGES.slice(0, LANGUAGE_CHIPS), ...(values || [])])];
  const list = checklist(
    name,
    codes.map((code) => ({ value: code, label: languageName(code) })),
    values || [],
    { legend: t("Languages she speaks") },
  );
  const { all } = sortedNames("languages");
  const adder = select(`${name}-add`, all, "", {
    empty: t("Add another language…"),
    "aria-label": t("Add another language"),
  });
  adder.addEventListener("change", () => {
    const code = adder.value;
    adder.value = "";
    if (!code) return;
    const existing = list.querySelector(`input[value="${CSS.escape(code)}"]`);
    if (existing) {
      existing.checked = true;
      return;
    }
    list
      .querySelector(".checklist-options")
      .append(
        h(
          "label",
          { class: "check-option" },
          h("input", { type: "checkbox", name, value: code, checked: true }),
          h("span", {}, languageName(code)),
        ),
      );
  });
  return h("div", { class: "languages" }, list, adder);
}

export async function render({ visitId = null, id = null }) {
  const ref = await reference(db);
  let entry = null;
  let initial = {};
  const draftKey = id ? `conversation:${id}` : `conversation:new:${visitId || "outside"}`;
  if (id) {
    entry = await outbox.entryFor(id);
    if (!entry) {
      return {
        title: t("Conversation"),
        node: empty(t("This conversation has been sent; changes are made in the back office.")),
        back: "#/conversations",
      };
    }
    initial = entry.body;
    visitId = initial.visit_id;
  } else {
    id = newId();
  }
  // Once per form, not per submit: a second submit (a double tap) resends the same person and
  // conversation instead of making a second person.
  const ids = { id, person: newId() };
  const visit = visitId ? await db.get("visits", visitId) : null;
  if (visitId && !visit)
    return { title: t("Conversation"), node: empty(t("This visit is not on the phone.")), back: "#/today" };
  const clinicId = visit ? visit.clinic_id : null;
  const clinic = clinicId ? await db.get("clinics", clinicId) : null;
  const candidates = (await db.getAll("persons")).filter((p) => !p.merged_into_id);
  const clinicNames = new Map((await db.getAll("clinics")).map((c) => [c.id, c.name]));
  let shown = SUGGESTIONS;

  // Who: a person met before (chosen), or a new one. ----------------------------------
  const state = {
    mode: initial.person_id ? "chosen" : "search",
    person: initial.person_id ? await db.get("persons", initial.person_id) : null,
    personId: initial.person_id || null,
  };
  const alias = input("alias", {
    autocomplete: "off",
    autocapitalize: "words",
    spellcheck: "false",
    maxlength: 100,
  });
  const nationality = countrySelect("nationality", "");
  const birthYear = input("birth_year", {
    type: "number",
    inputmode: "numeric",
    min: 1920,
    max: new Date().getFullYear() - 12,
  });
  const suggestions = h("div", { class: "suggestions", "aria-live": "polite" });
  const newPersonDetails = h(
    "div",
    { class: "new-person", hidden: true },
    h(
      "div",
      { class: "new-person-head" },
      h("p", { class: "new-person-title" }, t("New person")),
      h(
        "button",
        { type: "button", class: "link", onclick: () => setMode("search") },
        t("Back to the suggestions"),
      ),
    ),
    choice(
      "gender",
      options("genders"),
      "",
      {
        legend: t("Gender"),
        compact: true,
      },
    ),
    languageChecklist("languages", []),
  );
  const searchBlock = h(
    "div",
    { class: "person-search" },
    field(t("Alias (work name as she gives it)"), alias, { name: "alias" }),
    h(
      "div",
      { class: "pair" },
      field(t("Nationality"), nationality, { name: "nationality" }),
      field(t("Birth year"), birthYear, { name: "birth_year" }),
    ),
    suggestions,
    newPersonDetails,
  );
  const chosenBlock = h("div", { class: "person-chosen" });
  const personError = h("p", { class: "field-error", "data-error-for": "person_id", hidden: true });

  function query() {
    const year = intOrNull(birthYear.value);
    return {
      alias: alias.value,
      nationality: nationality.value || null,
      birth_year: Number.isNaN(year) ? null : year,
      clinic_id: clinicId,
    };
  }

  function drawSuggestions() {
    const q = query();
    fill(suggestions);
    if (state.mode === "new") return;
    if (!q.alias.trim()) {
      suggestions.append(h("p", { class: "muted" }, t("Type the alias to see persons met before.")));
      return;
    }
    const found = rank(q, candidates, shown + 1);
    const ranked = found.slice(0, shown);
    // With no one of the same name, a new person is the likely answer: her button comes first,
    // above the cards, so the common path needs no scrolling. With a same-name card, the nurse
    // looks at the cards first and the button follows them.
    const sameName = ranked.some(({ reasons }) => reasons.includes("same_alias"));
    const newPerson = h(
      "button",
      {
        type: "button",
        class: "secondary wide new-person-button",
        onclick: () => {
          setMode("new");
          // Her details and the topics below them come into view: no scrolling by hand on
          // the common path (the header's height is the block's scroll-margin-top).
          newPersonDetails.scrollIntoView({ block: "start" });
        },
      },
      t("New person: %(alias)s", { alias: q.alias.trim() }),
    );
    const parts = [
      sameName ? null : newPerson,
      h(
        "p",
        { class: "suggestions-title" },
        ranked.length ? t("Met before? Choose her:") : t("No one met before has a similar name."),
      ),
      h(
        "ul",
        { class: "suggestion-list" },
        ranked.map(({ person, reasons }) =>
          h(
            "li",
            {},
            h(
              "button",
              {
                type: "button",
                class: "suggestion",
                "data-person-id": person.id,
                onclick: () => {
                  state.person = person;
                  state.personId = person.id;
                  setMode("chosen");
                },
              },
              h("span", { class: "suggestion-alias" }, person.alias),
              h("span", { class: "suggestion-facts" }, personFacts(person)),
              h("span", { class: "suggestion-facts suggestion-met" }, metFacts(person, clinicNames)),
              h(
                "span",
                { class: "suggestion-reasons" },
                reasons.map((r) => h("span", { class: `chip chip-${r}` }, reasonText(r))),
              ),
            ),
          ),
        ),
      ),
      found.length > shown
        ? h(
            "button",
            {
              type: "button",
              class: "secondary wide more-suggestions",
              onclick: () => {
                shown += SUGGESTIONS;
                drawSuggestions();
              },
            },
            t("Show more"),
          )
        : null,
      sameName ? newPerson : null,
    ];
    suggestions.append(...parts.filter(Boolean));
  }

  function setMode(mode) {
    state.mode = mode;
    if (mode !== "chosen") {
      state.person = null;
      state.personId = null;
    }
    searchBlock.hidden = mode === "chosen";
    newPersonDetails.hidden = mode !== "new";
    chosenBlock.hidden = mode !== "chosen";
    if (mode === "chosen") {
      const p = state.person;
      fill(
        chosenBlock,
        h(
          "div",
          { class: "chosen-card" },
          h("span", { class: "suggestion-alias" }, p ? p.alias : t("(person not on the phone)")),
          p ? h("span", { class: "suggestion-facts" }, personFacts(p)) : null,
          h(
            "button",
            { type: "button", class: "link", onclick: () => setMode("search") },
            t("Change person"),
          ),
        ),
      );
      const language = form.querySelector('select[name="language"]');
      if (language && !language.value && p && p.languages && p.languages[0]) language.value = p.languages[0];
    }
    drawSuggestions();
  }
  for (const el of [alias, nationality, birthYear]) {
    el.addEventListener("input", () => {
      shown = SUGGESTIONS;
      drawSuggestions();
    });
  }

  // What was talked about. -------------------------------------------------------------
  const outside = !visitId;
  const { lead: leadLanguages, all: allLanguages } = sortedNames("languages", COMMON_LANGUAGES);
  const form = h(
    "form",
    { class: "form conversation-form", novalidate: true },
    h(
      "p",
      { class: "form-context" },
      clinic ? `${clinic.name} · ${formatDateTime(visit.started_at)}` : t("Conversation outside a visit"),
    ),
    errorBox(),
    h(
      "fieldset",
      { class: "person", "data-field": "person_id" },
      h("legend", {}, t("Who")),
      chosenBlock,
      searchBlock,
      personError,
    ),
    outside
      ? choice(
          "channel",
          options("channels").filter((c) => c.value !== "visit"), // "visit": in a visit only
          initial.channel || "",
          { legend: t("How"), required: true },
        )
      : null,
    outside
      ? field(
          t("When"),
          input("occurred_at", {
            type: "datetime-local",
            value: toLocalInput(initial.occurred_at || new Date()),
            required: true,
          }),
          { name: "occurred_at" },
        )
      : null,
    checklist(
      "topics",
      options("topics"),
      initial.topics || [],
      { legend: t("Topics") },
    ),
    field(
      t("Language of the conversation"),
      select("language", allLanguages, initial.language || "", {
        empty: t("Not given"),
        lead: leadLanguages,
        leadLabel: t("Often used"),
      }),
      { name: "language" },
    ),
    yesNo("interpreter_used", initial.interpreter_used, t("Interpreter used")),
    ...concernFields(initial.concern_level, initial.indicators, ref.indicators || [], ref),
    choice(
      "referral",
      [
        { value: "", label: t("None") },
        ...options("referrals"),
      ],
      initial.referral || "",
      { legend: t("Referral"), compact: true },
    ),
    yesNo("follow_up_needed", initial.follow_up_needed, t("Follow-up needed")),
    field(t("Note"), textarea("notes", initial.notes, { maxlength: 5000 }), { name: "notes" }),
    saveBar(t("Save conversation")),
  );
  setMode(state.mode);

  const draft = drafts.keep(form, {
    key: draftKey,
    found: await drafts.find(draftKey),
    ids,
    title: clinic ? clinic.name : t("Conversation outside a visit"),
    state: () => ({ mode: state.mode, personId: state.personId }),
    restore: async (kept) => {
      if (kept.mode === "chosen" && kept.personId) {
        state.person = await db.get("persons", kept.personId);
        state.personId = kept.personId;
      }
      setMode(kept.mode || "search");
    },
  });

  onSave(form, async () => {
    const errors = {};
    const q = query();
    let personBody = null;
    if (state.mode === "new") {
      const year = intOrNull(birthYear.value);
      const aliasText = q.alias.trim().replace(/\s+/g, " ");
      if (!aliasText) errors.alias = [t("Give the alias she uses.")];
      const yearProblem = birthYearProblem(year);
      if (yearProblem) errors.birth_year = [yearProblem];
      personBody = {
        alias: aliasText,
        nationality: nationality.value || null,
        birth_year: Number.isNaN(year) ? null : year,
        gender: value(form, "gender") || "unknown",
        languages: checkedValues(form, "languages"),
      };
    } else if (state.mode !== "chosen" || !state.personId) {
      errors.person_id = [t("Choose a person met before, or “New person”.")];
    }
    const channel = outside ? value(form, "channel") : "visit";
    const occurredAt = outside ? fromLocalInput(value(form, "occurred_at")) : initial.occurred_at || null;
    if (outside && !channel) errors.channel = [t("Choose how you talked.")];
    if (outside && !occurredAt) errors.occurred_at = [t("Give the time of the conversation.")];
    else if (outside && inFuture(occurredAt)) errors.occurred_at = [FUTURE()];
    if (Object.keys(errors).length) {
      showErrors(form, t("Please check the marked fields."), errors);
      return;
    }
    let personId = state.personId;
    if (personBody) {
      personId = ids.person;
      await outbox.save("person", personId, personBody); // before the conversation
    }
    const body = {
      person_id: personId,
      visit_id: visitId || null,
      channel,
      occurred_at: occurredAt,
      topics: checkedValues(form, "topics"),
      language: value(form, "language") || null,
      interpreter_used: value(form, "interpreter_used") === "yes",
      concern_level: value(form, "concern_level") || null,
      indicators: checkedValues(form, "indicators"),
      referral: value(form, "referral") || null,
      follow_up_needed: value(form, "follow_up_needed") === "yes",
      notes: textOrNull(value(form, "notes")),
    };
    await outbox.save("conversation", ids.id, body);
    if (clinicId) {
      // Met here today: matching ranks her first at this clinic next time, also offline.
      const person = await db.get("persons", personId);
      if (person && !(person.recent_clinic_ids || []).includes(clinicId)) {
        await db.put("persons", {
          ...person,
          recent_clinic_ids: [...(person.recent_clinic_ids || []), clinicId],
        });
      }
    }
    await draft.clear();
    notice(t("Conversation saved on the phone."), "ok");
    location.replace(visitId ? `#/visit/${visitId}` : "#/conversations");
  });

  if (entry && entry.state === "attention" && entry.error) {
    queueMicrotask(() => showRefusal(form, entry.error));
  }
  return {
    name: "conversation-form",
    title: entry && entry.state === "attention" ? t("Fix conversation") : t("Add conversation"),
    node: h("section", { class: "screen" }, form),
    back: visitId ? `#/visit/${visitId}` : "#/conversations",
    focus: () => (state.mode === "search" ? alias.focus() : null),
  };
}
