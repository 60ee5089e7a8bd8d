// screens/clinic-form.js — a new clinic found in the field (position from the phone, name,
// kind, address and postcode optional), or an edit of a known one (opening hours at least).
// Saved as PUT /api/v1/clinics/<uuid> through the outbox; new ones with source "field".

import * as db from "../db.js";
import * as drafts from "../drafts.js";
import { baseFor, fetchCurrent } from "../etag.js";
import {
  choice,
  errorBox,
  field,
  input,
  onSave,
  saveBar,
  showErrors,
  showRefusal,
  textarea,
  textOrNull,
  value,
} from "../forms.js";
import { t } from "../i18n.js";
import * as outbox from "../outbox.js";
import { clinicBody, newId } from "../records.js";
import { h, notice } from "../ui.js";
import { codes, label, options } from "../vocabulary.js";
import { empty } from "./common.js";

const MAX_INTERVALS = 4;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

// Beyond this many metres a phone's position may put the clinic in the wrong street.
const ROUGH_METRES = 150;

function positionBlock(initial) {
  const lat = input("lat", { inputmode: "decimal", value: initial.lat ?? "", autocomplete: "off" });
  const lon = input("lon", { inputmode: "decimal", value: initial.lon ?? "", autocomplete: "off" });
  // The position is asked for only when the nurse taps the button: her consent, each time.
  const status = h(
    "p",
    { class: "geo-status", role: "status" },
    t(
      "Tap to put the clinic where you stand. The position is read once, for this clinic only. Without it, the address is looked up when the clinic reaches the server.",
    ),
  );
  const locate = h("button", { type: "button", class: "secondary" }, t("Use my position"));
  function say(text, kind = "info") {
    status.textContent = text;
    status.className = `geo-status geo-${kind}`;
  }
  function find() {
    if (!("geolocation" in navigator)) {
      say(
        t(
          "This phone cannot tell its position. Type the coordinates, or leave them empty and give the address.",
        ),
        "warn",
      );
      return;
    }
    say(t("Finding your position…"));
    locate.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        locate.disabled = false;
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        const metres = Math.round(position.coords.accuracy);
        if (metres > ROUGH_METRES) {
          say(
            t(
              "Rough position (within %(metres)s m). Give the address too, or try again outdoors.",
              { metres },
            ),
            "warn",
          );
        } else {
          say(t("Position found (within %(metres)s m).", { metres }), "ok");
        }
      },
      (error) => {
        locate.disabled = false;
        if (error.code === error.PERMISSION_DENIED) {
          say(
            t(
              "The app may not use your position. Allow location for this site in the browser settings, or type the coordinates.",
            ),
            "warn",
          );
        } else if (error.code === error.TIMEOUT) {
          say(t("Finding your position took too long. Try again, or type the coordinates."), "warn");
        } else {
          say(
            t("Your position is not available right now. Try again outdoors, or type the coordinates."),
            "warn",
          );
        }
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  }
  locate.addEventListener("click", find);
  return h(
    "fieldset",
    { class: "position", "data-field": "lat" },
    h("legend", {}, t("Position")),
    status,
    h(
      "div",
      { class: "pair" },
      field(t("Latitude"), lat, { name: "lat" }),
      field(t("Longitude"), lon, { name: "lon" }),
    ),
    locate,
  );
}

function hoursEditor(hours) {
  const unknown = h("input", {
    type: "checkbox",
    name: "hours_unknown",
    checked: hours === null || hours === undefined,
  });
  const days = h("div", { class: "hours-days" });
  const rows = {};
  for (const day of codes("weekdays")) {
    const intervals = h("div", { class: "intervals" });
    const closed = h("input", { type: "checkbox", name: `closed:${day}` });
    const addInterval = (from = "", to = "") => {
      if (intervals.children.length >= MAX_INTERVALS) return;
      const end = to === "24:00" ? "00:00" : to;
      intervals.append(
        h(
          "div",
          { class: "interval" },
          h("input", {
            type: "time",
            name: `from:${day}`,
            value: from,
            "aria-label": `${label("weekdays", day)} ${t("from")}`,
          }),
          h("span", { "aria-hidden": "true" }, "–"),
          h("input", {
            type: "time",
            name: `to:${day}`,
            value: end,
            "aria-label": `${label("weekdays", day)} ${t("to")}`,
          }),
        ),
      );
    };
    const given = (hours && hours[day]) || [];
    if (hours && !given.length) closed.checked = true;
    for (const [from, to] of given) addInterval(from, to);
    if (!given.length) addInterval();
    const more = h(
      "button",
      { type: "button", class: "link", onclick: () => addInterval() },
      t("Add interval"),
    );
    const sync = () => {
      intervals.hidden = closed.checked;
      more.hidden = closed.checked;
    };
    closed.addEventListener("change", sync);
    sync();
    rows[day] = { closed, intervals };
    days.append(
      h(
        "div",
        { class: "hours-day" },
        h(
          "div",
          { class: "hours-day-head" },
          h("span", { class: "day-name" }, label("weekdays", day)),
          h("label", { class: "inline-check" }, closed, h("span", {}, t("Closed"))),
        ),
        intervals,
        more,
      ),
    );
  }
  const copy = h(
    "button",
    {
      type: "button",
      class: "secondary small",
      onclick: () => {
        const monday = [...rows.mon.intervals.querySelectorAll(".interval")].map((row) =>
          [...row.querySelectorAll("input")].map((i) => i.value),
        );
        for (const day of ["tue", "wed", "thu", "fri"]) {
          rows[day].closed.checked = rows.mon.closed.checked;
          rows[day].closed.dispatchEvent(new Event("change"));
          const target = rows[day].intervals;
          target.replaceChildren(...[...rows.mon.intervals.children].map((node) => node.cloneNode(true)));
          for (const input of target.querySelectorAll("input"))
            input.name = input.name.replace(":mon", `:${day}`);
          target.querySelectorAll(".interval").forEach((row, i) => {
            const [from, to] = row.querySelectorAll("input");
            [from.value, to.value] = monday[i];
          });
        }
      },
    },
    t("Copy Monday to Tuesday–Friday"),
  );
  const syncUnknown = () => {
    days.hidden = unknown.checked;
    copy.hidden = unknown.checked;
  };
  unknown.addEventListener("change", syncUnknown);
  syncUnknown();
  return h(
    "fieldset",
    { class: "hours-editor", "data-field": "opening_hours" },
    h("legend", {}, t("Opening hours")),
    h("label", { class: "inline-check" }, unknown, h("span", {}, t("Opening hours not known"))),
    copy,
    days,
    h("p", { class: "field-error", "data-error-for": "opening_hours", hidden: true }),
  );
}

/** Rows enough for the intervals a draft kept (the editor shows one per day to begin with). */
function makeRoomForHours(form, fields) {
  for (const day of codes("weekdays")) {
    const wanted = ((fields[`from:${day}`] || {}).values || []).length;
    const first = form.querySelector(`input[name="from:${day}"]`);
    const more = first && first.closest(".hours-day").querySelector(".intervals ~ button.link");
    while (more && form.querySelectorAll(`input[name="from:${day}"]`).length < Math.min(wanted, MAX_INTERVALS))
      more.click();
  }
}

/** {"mon": [["10:00","22:00"]], ...}, null when unknown; or an error message. */
function readHours(form) {
  if (form.elements.namedItem("hours_unknown").checked) return { hours: null };
  const hours = {};
  for (const day of codes("weekdays")) {
    if (form.elements.namedItem(`closed:${day}`).checked) {
      hours[day] = [];
      continue;
    }
    const intervals = [];
    const froms = [...form.querySelectorAll(`input[name="from:${day}"]`)];
    const tos = [...form.querySelectorAll(`input[name="to:${day}"]`)];
    froms.forEach((fromInput, i) => {
      const from = fromInput.value;
      let to = tos[i].value;
      if (!from && !to) return;
      if (to === "00:00") to = "24:00"; // open until midnight
      intervals.push([from, to]);
    });
    for (const [from, to] of intervals) {
      if (!TIME.test(from) || !(TIME.test(to) || to === "24:00") || to <= from) {
        return {
          error: t("%(day)s: give times from and to, the end after the start.", {
            day: label("weekdays", day),
          }),
        };
      }
    }
    intervals.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (let i = 1; i < intervals.length; i++) {
      if (intervals[i][0] < intervals[i - 1][1])
        return { error: t("%(day)s: the intervals overlap.", { day: label("weekdays", day) }) };
    }
    hours[day] = intervals;
  }
  return { hours };
}

function parseCoordinate(text) {
  const s = String(text || "")
    .trim()
    .replace(",", ".");
  if (!s) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : Number.NaN;
}

export async function render({ mode, id = null }) {
  const editing = mode === "edit";
  let entry = null;
  let base = null;
  if (editing) {
    entry = await outbox.entryFor(id);
    base = await db.get("clinics", id);
    if (!base && !entry)
      return { title: t("Clinic"), node: empty(t("This clinic is not on the phone.")), back: "#/today" };
  } else {
    id = newId(); // once per form: a second submit (a double tap) is a resend of the same clinic
  }
  const draftKey = editing ? `clinic:${id}` : "clinic:new";
  const initial = entry
    ? entry.body
    : base
      ? clinicBody(base)
      : { kind: "massage_clinic", source: "field", status: "active" };
  // An edit is made against the server's current clinic when there is a connection now.
  let fetched = null;
  if (editing) {
    fetchCurrent(id).then((current) => {
      fetched = current;
    });
  }

  const form = h(
    "form",
    { class: "form clinic-form", novalidate: true },
    errorBox(),
    editing ? null : positionBlock(initial),
    field(
      t("Name"),
      input("name", { value: initial.name || "", required: true, maxlength: 200, autocomplete: "off" }),
      { name: "name" },
    ),
    choice(
      "kind",
      options("clinic_kinds"),
      initial.kind || "massage_clinic",
      { legend: t("Kind"), compact: true },
    ),
    field(
      t("Address (optional)"),
      input("address", { value: initial.address || "", maxlength: 200, autocomplete: "off" }),
      { name: "address" },
    ),
    h(
      "div",
      { class: "pair" },
      field(
        t("Postcode (optional)"),
        input("postcode", {
          value: initial.postcode || "",
          inputmode: "numeric",
          maxlength: 4,
          autocomplete: "off",
        }),
        {
          name: "postcode",
        },
      ),
      field(
        t("Town (optional)"),
        input("city", { value: initial.city || "", maxlength: 100, autocomplete: "off" }),
        { name: "city" },
      ),
    ),
    editing ? hoursEditor(initial.opening_hours) : null,
    editing ? positionBlock(initial) : null,
    editing
      ? field(t("Notes about the clinic"), textarea("notes", initial.notes, { maxlength: 5000 }), {
          name: "notes",
        })
      : null,
    saveBar(editing ? t("Save clinic") : t("Save new clinic")),
  );

  const ids = { id };
  const draft = drafts.keep(form, {
    key: draftKey,
    found: await drafts.find(draftKey),
    ids,
    title: initial.name || t("New clinic"),
    prepare: (fields) => makeRoomForHours(form, fields),
  });

  onSave(form, async () => {
    const errors = {};
    const name = textOrNull(value(form, "name"));
    const postcode = textOrNull(value(form, "postcode"));
    const lat = parseCoordinate(value(form, "lat"));
    const lon = parseCoordinate(value(form, "lon"));
    if (!name) errors.name = [t("Give the clinic a name.")];
    if (postcode && !/^\d{4}$/.test(postcode)) errors.postcode = [t("A Danish postcode has four digits.")];
    if (Number.isNaN(lat) || Number.isNaN(lon) || (lat === null) !== (lon === null)) {
      errors.lat = [t("Give both latitude and longitude as numbers, or neither.")];
    } else if (lat !== null && !(lat >= 54.5 && lat <= 57.8 && lon >= 8 && lon <= 15.2)) {
      errors.lat = [t("These coordinates are not in Denmark.")];
    }
    let hours = initial.opening_hours ?? null;
    if (editing) {
      const read = readHours(form);
      if (read.error) errors.opening_hours = [read.error];
      else hours = read.hours;
    }
    if (Object.keys(errors).length) {
      showErrors(form, t("Please check the marked fields."), errors);
      return;
    }
    // Fields the form does not show (status, source, region) come from the freshest copy.
    const against = editing ? await baseFor(ids.id, entry, fetched) : null;
    const kept = against && against.clinic ? clinicBody(against.clinic) : initial;
    const body = {
      ...kept,
      name,
      kind: value(form, "kind") || "massage_clinic",
      address: textOrNull(value(form, "address")),
      postcode,
      city: textOrNull(value(form, "city")),
      lat,
      lon,
      opening_hours: hours,
      notes: editing ? textOrNull(value(form, "notes")) : kept.notes || null,
      status: kept.status || "active",
      source: editing ? kept.source || "field" : "field",
      region: kept.region || null,
    };
    const ifMatch = against && against.etag;
    await outbox.save("clinic", ids.id, body, { headers: ifMatch ? { "If-Match": ifMatch } : null });
    await draft.clear();
    notice(t("Clinic saved on the phone."), "ok");
    location.replace(`#/clinic/${ids.id}`);
  });

  if (entry && entry.state === "attention" && entry.error) {
    queueMicrotask(() => showRefusal(form, entry.error));
  }
  return {
    name: "clinic-form",
    title:
      entry && entry.state === "attention" ? t("Fix clinic") : editing ? t("Edit clinic") : t("New clinic"),
    node: h("section", { class: "screen" }, form),
    back: editing ? `#/clinic/${id}` : "#/today",
  };
}
