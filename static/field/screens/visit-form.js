// screens/visit-form.js — log a visit (aim: under a minute: outcome, then Save), or fix one
// the server refused. Save puts it in the outbox; the visit screen follows, for conversations.
// The common path fits the first screen: outcome, persons present, the usual pack (one tap),
// concern; indicators and police come only with a concern above green; the rest lies below.

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
  showErrors,
  showRefusal,
  stepper,
  textarea,
  textOrNull,
  value,
  yesNo,
} from "../forms.js";
import { formatNumber, t } from "../i18n.js";
import * as outbox from "../outbox.js";
import {
  askAbout,
  BAD_COUNT,
  FUTURE,
  inFuture,
  MAX_COUNT,
  MAX_PERSONS_PRESENT,
  unusualNumbers,
} from "../plausibility.js";
import { newId, visitBody } from "../records.js";
import * as session from "../session.js";
import { fromLocalInput, toLocalInput } from "../time.js";
import { h, notice } from "../ui.js";
import { codes, label, options } from "../vocabulary.js";
import { codeLabel, empty, reference } from "./common.js";

/** The concern level (none/green/yellow/red) and the indicator checklist; shared with
 * conversations. */
export function concernFields(level, indicators, known, ref = {}) {
  const unknown = (indicators || []).filter((code) => !known.includes(code));
  return [
    choice(
      "concern_level",
      [
        { value: "", label: t("None") },
        ...codes("concern_levels").map((c) => ({
          value: c,
          label: label("concern_levels", c),
          class: `concern-${c}`,
        })),
      ],
      level || "",
      { legend: t("Concern"), compact: true },
    ),
    known.length || unknown.length
      ? checklist(
          "indicators",
          [
            ...known.map((code) => ({ value: code, label: codeLabel(ref, "indicators", code) })),
            ...unknown.map((code) => ({
              value: code,
              label: codeLabel(ref, "indicators", code),
              note: t("not on the organisation's list any more"),
            })),
          ],
          indicators,
          { legend: t("Indicators") },
        )
      : null,
  ];
}

export async function render({ clinicId = null, id = null }) {
  const user = session.current();
  const ref = await reference(db);
  let initial;
  let entry = null;
  const draftKey = id ? `visit:${id}` : `visit:new:${clinicId}`;
  if (id) {
    entry = await outbox.entryFor(id);
    const stored = await db.get("visits", id);
    if (!entry && !stored)
      return { title: t("Visit"), node: empty(t("This visit is not on the phone.")), back: "#/today" };
    initial = entry ? entry.body : visitBody(stored);
  } else {
    id = newId(); // once per form: a second submit (a double tap) is a resend of the same visit
    initial = {
      clinic_id: clinicId,
      started_at: null,
      outcome: null,
      staff: [user.id],
      supplies: {},
      indicators: [],
      police_informed: false,
    };
  }
  const clinic = await db.get("clinics", initial.clinic_id);
  const supplies = ref.supplies || [];
  const indicators = ref.indicators || [];

  const reasonBlock = h(
    "div",
    { class: "reveal" },
    choice(
      "not_admitted_reason",
      options("not_admitted_reasons"),
      initial.not_admitted_reason || "",
      { legend: t("Why not?") },
    ),
  );
  const presentBlock = h(
    "div",
    { class: "reveal" },
    stepper("persons_present", t("Persons present"), initial.persons_present ?? 1, { max: MAX_PERSONS_PRESENT }),
  );
  const showOutcome = (outcome) => {
    reasonBlock.hidden = outcome !== "not_admitted";
    presentBlock.hidden = outcome !== "admitted";
  };

  const extraSupplies = Object.keys(initial.supplies || {}).filter((code) => !supplies.includes(code));
  const supplyBlock = h(
    "fieldset",
    { class: "supplies", "data-field": "supplies" },
    h("legend", {}, t("Supplies handed out")),
    supplies.length || extraSupplies.length
      ? [
          ...supplies.map((code) =>
            stepper(`supply:${code}`, codeLabel(ref, "supplies", code), initial.supplies?.[code] || 0, {
              max: MAX_COUNT,
              errorFor: `supplies.${code}`,
            }),
          ),
          ...extraSupplies.map((code) =>
            stepper(`supply:${code}`, codeLabel(ref, "supplies", code), initial.supplies[code], {
              max: MAX_COUNT,
              errorFor: `supplies.${code}`,
              note: t("not on the organisation's list any more"),
            }),
          ),
        ]
      : h("p", { class: "muted" }, t("The organisation has no supply list yet.")),
    h("p", { class: "field-error", "data-error-for": "supplies", hidden: true }),
  );

  // The organisation's usual pack: one tap puts its amounts into the steppers below, and the
  // line under it always says what the steppers hold.
  const pack = Object.entries(ref.pack || {}).filter(([code]) => supplies.includes(code));
  const handedOut = h("p", { class: "muted pack-summary", "aria-live": "polite" });
  const showHandedOut = () => {
    const given = [...supplyBlock.querySelectorAll('input[name^="supply:"]')]
      .filter((box) => Number.parseInt(box.value, 10) > 0)
      .map((box) => `${codeLabel(ref, "supplies", box.name.slice("supply:".length))} ${box.value}`);
    handedOut.textContent = given.length ? given.join(" · ") : t("No supplies yet.");
  };
  supplyBlock.addEventListener("input", showHandedOut);
  const packRow = pack.length
    ? h(
        "div",
        { class: "pack" },
        h(
          "button",
          {
            type: "button",
            class: "secondary wide supply-pack",
            onclick: () => {
              for (const [code, n] of pack) {
                const box = supplyBlock.querySelector(`input[name="supply:${CSS.escape(code)}"]`);
                box.value = String(n);
                box.dispatchEvent(new Event("input", { bubbles: true }));
              }
            },
          },
          t("Usual pack"),
          h("small", {}, pack.map(([code, n]) => `${codeLabel(ref, "supplies", code)} ${n}`).join(" · ")),
        ),
        handedOut,
      )
    : null;
  showHandedOut();

  const policeAt = input("police_informed_at", {
    type: "datetime-local",
    value: initial.police_informed_at ? toLocalInput(initial.police_informed_at) : toLocalInput(),
  });
  const policeBlock = h(
    "div",
    { class: "reveal" },
    field(t("When"), policeAt, { name: "police_informed_at" }),
    field(t("Police note"), textarea("police_note", initial.police_note, { maxlength: 2000 }), {
      name: "police_note",
    }),
  );
  policeBlock.hidden = !initial.police_informed;
  const [concernChoice, indicatorList] = concernFields(initial.concern_level, initial.indicators, indicators, ref);
  const concernMore = h(
    "div",
    { class: "reveal concern-more" },
    indicatorList,
    yesNo("police_informed", initial.police_informed, t("Police informed"), (yes) => {
      policeBlock.hidden = !yes;
      showConcernMore();
    }),
    policeBlock,
  );
  // Indicators and the police only with a concern above green, or once something in them is
  // filled in (never hide what was given).
  function showConcernMore() {
    const level = value(form, "concern_level");
    const given = checkedValues(form, "indicators").length || value(form, "police_informed") === "yes";
    concernMore.hidden = !(level === "yellow" || level === "red" || given);
  }
  concernChoice.addEventListener("change", showConcernMore);

  const staffNames = (initial.staff || [user.id]).map((s) =>
    s === user.id ? `${user.name || user.email} (${t("you")})` : t("a colleague"),
  );

  // Now unless changed: below the common path.
  const startedField = field(
    t("Started"),
    input("started_at", {
      type: "datetime-local",
      value: toLocalInput(initial.started_at || new Date()),
      required: true,
    }),
    { name: "started_at" },
  );

  const form = h(
    "form",
    { class: "form visit-form", novalidate: true },
    h("p", { class: "form-context" }, clinic ? clinic.name : ""),
    errorBox(),
    choice(
      "outcome",
      options("visit_outcomes").map((o) => ({ ...o, class: `outcome-${o.value}` })),
      initial.outcome || "",
      { legend: t("Were you let in?"), onchange: showOutcome, required: true },
    ),
    reasonBlock,
    presentBlock,
    packRow,
    concernChoice,
    concernMore,
    supplyBlock,
    startedField,
    field(t("Note"), textarea("notes", initial.notes, { maxlength: 5000 }), { name: "notes" }),
    staffField(initial.staff || [user.id], staffNames, ref.staff || [], user),
    saveBar(t("Save visit")),
  );
  showOutcome(initial.outcome);
  showConcernMore();

  const ids = { id };
  const draft = drafts.keep(form, {
    key: draftKey,
    found: await drafts.find(draftKey),
    ids,
    title: clinic ? clinic.name : "",
  });

  onSave(form, async () => {
    const errors = {};
    const outcome = value(form, "outcome") || null;
    const reason = value(form, "not_admitted_reason") || null;
    const startedAt = fromLocalInput(value(form, "started_at"));
    const present = outcome === "admitted" ? intOrNull(value(form, "persons_present")) : null;
    const police = value(form, "police_informed") === "yes";
    const policeTime = police ? fromLocalInput(policeAt.value) : null;
    if (!outcome) errors.outcome = [t("Choose whether you were let in.")];
    if (outcome === "not_admitted" && !reason)
      errors.not_admitted_reason = [t("Say why you were not let in.")];
    if (!startedAt) errors.started_at = [t("Give the time of the visit.")];
    else if (inFuture(startedAt)) errors.started_at = [FUTURE()];
    if (policeTime && inFuture(policeTime)) errors.police_informed_at = [FUTURE()];
    if (Number.isNaN(present) || (present !== null && (present < 0 || present > MAX_PERSONS_PRESENT))) {
      errors.persons_present = [t("Give a number from 0 to 100.")];
    } else if (present === 0) {
      errors.persons_present = [t("Someone let the team in: at least 1 person was present.")];
    }
    const counts = {};
    for (const box of form.querySelectorAll('input[name^="supply:"]')) {
      const code = box.name.slice("supply:".length);
      const n = intOrNull(box.value);
      if (Number.isNaN(n) || (n !== null && (n < 0 || n > MAX_COUNT)))
        errors[`supplies.${code}`] = [BAD_COUNT()];
      else if (n) counts[code] = n;
    }
    if (Object.keys(errors).length) {
      showErrors(form, t("Please check the marked fields."), errors);
      return;
    }
    const unusual = unusualNumbers(ref.limits, { persons_present: present, supplies: counts }, initial);
    const question = (w) =>
      w.field === "persons_present"
        ? t("Were %(count)s persons present?", { count: formatNumber(w.value) })
        : t("Are %(count)s %(item)s right?", {
            count: formatNumber(w.value),
            item: lowerFirst(codeLabel(ref, "supplies", w.field.slice("supplies.".length))),
          });
    if (!askAbout(form, unusual, question)) {
      showErrors(form, t("Check the marked numbers: correct them, or tick that they are right."));
      form.querySelector(".field-warning input[type=checkbox]:not(:checked)")?.focus();
      return;
    }
    const body = {
      clinic_id: initial.clinic_id,
      started_at: startedAt,
      ended_at: initial.ended_at || null,
      outcome,
      not_admitted_reason: outcome === "not_admitted" ? reason : null,
      staff: chosenStaff(form, initial, user),
      persons_present: present,
      supplies: counts,
      concern_level: value(form, "concern_level") || null,
      indicators: checkedValues(form, "indicators"),
      police_informed: police,
      police_informed_at: policeTime,
      police_note: police ? textOrNull(value(form, "police_note")) : null,
      notes: textOrNull(value(form, "notes")),
    };
    // The nurse ticked every unusual number: the server stores it without a warning.
    if (unusual.length) body.confirmed_unusual = true;
    await outbox.save("visit", ids.id, body);
    await draft.clear();
    notice(t("Visit saved on the phone."), "ok");
    location.replace(`#/visit/${ids.id}`);
  });

  if (entry && entry.state === "attention" && entry.error) {
    queueMicrotask(() => showRefusal(form, entry.error));
  }
  return {
    name: "visit-form",
    title:
      entry && entry.state === "attention" ? t("Fix visit") : clinicId ? t("Log visit") : t("Edit visit"),
    node: h("section", { class: "screen" }, form),
    back: clinicId ? `#/clinic/${clinicId}` : `#/visit/${id}`,
  };
}

function lowerFirst(text) {
  return text.charAt(0).toLocaleLowerCase() + text.slice(1);
}

/** The staff on the visit: a checklist of the organisation's staff when the pull sent it
 * (the nurse herself ticked by default), else a line naming who is on it. */
function staffField(chosen, names, staff, user) {
  if (staff.length < 2) {
    return h(
      "div",
      {},
      h("p", { class: "muted staff-line", "data-error-for-wrap": "staff" }, `${t("Staff")}: ${names.join(", ")}`),
      h("p", { class: "field-error", "data-error-for": "staff", hidden: true }),
    );
  }
  const known = new Set(staff.map((s) => s.id));
  const options = [
    ...staff.map((s) => ({ value: s.id, label: s.id === user.id ? `${s.name} (${t("you")})` : s.name })),
    ...chosen.filter((id) => !known.has(id)).map((id) => ({ value: id, label: t("a colleague") })),
  ];
  return checklist("staff", options, chosen, { legend: t("Staff") });
}

function chosenStaff(form, initial, user) {
  if (form.querySelector('input[name="staff"]')) {
    const ticked = checkedValues(form, "staff");
    return ticked.length ? ticked : [user.id];
  }
  return initial.staff && initial.staff.length ? initial.staff : [user.id];
}
