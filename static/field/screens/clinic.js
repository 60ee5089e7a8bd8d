// screens/clinic.js — one clinic: details, opening hours, the last visits with outcome and
// concern; "Log visit" and "Edit".

import * as db from "../db.js";
import { formatDate, formatDateTime, regionName, t } from "../i18n.js";
import { openNow, weekday } from "../time.js";
import { fill, h, redraw } from "../ui.js";
import { codes, label } from "../vocabulary.js";
import { concernBadge, definition, empty, pendingBadge } from "./common.js";

const LAST_VISITS = 10;

export function hoursTable(hours) {
  if (!hours) return h("p", { class: "muted" }, t("Opening hours are not known."));
  const today = weekday();
  return h(
    "table",
    { class: "hours" },
    h(
      "tbody",
      {},
      codes("weekdays").map((day) => {
        const intervals = hours[day] || [];
        return h(
          "tr",
          { class: day === today ? "is-today" : null },
          h("th", { scope: "row" }, label("weekdays", day)),
          h(
            "td",
            {},
            intervals.length ? intervals.map(([from, to]) => `${from}–${to}`).join(", ") : t("Closed"),
          ),
        );
      }),
    ),
  );
}

export function visitLine(visit) {
  const outcome = label("visit_outcomes", visit.outcome);
  const reason = visit.not_admitted_reason ? ` (${label("not_admitted_reasons", visit.not_admitted_reason)})` : "";
  return h(
    "li",
    {},
    h(
      "a",
      { class: `visit-row outcome-${visit.outcome}`, href: `#/visit/${visit.id}` },
      h("span", { class: "visit-when" }, formatDateTime(visit.started_at)),
      h("span", { class: "visit-outcome" }, outcome + reason),
      h("span", { class: "visit-badges" }, concernBadge(visit.concern_level), pendingBadge(visit)),
    ),
  );
}

export async function render({ id }, ctx) {
  const clinic = await db.get("clinics", id);
  if (!clinic) {
    return { title: t("Clinic"), node: empty(t("This clinic is not on the phone.")), back: "#/today" };
  }
  const section = h("section", { class: "screen clinic" });

  const draw = redraw(read, show);

  async function read() {
    return {
      current: (await db.get("clinics", id)) || clinic,
      visits: await db.getAllByIndex("visits", "clinic_id", id),
    };
  }

  function show({ current, visits }) {
    visits.sort((a, b) => (a.started_at < b.started_at ? 1 : -1));
    const last = [current.last_visit_at, visits[0] && visits[0].started_at]
      .filter(Boolean)
      .sort((a, b) => new Date(b) - new Date(a))[0];
    const open = openNow(current.opening_hours);
    const address = [current.address, [current.postcode, current.city].filter(Boolean).join(" ")]
      .filter(Boolean)
      .join(", ");
    fill(
      section,
      current.status === "closed"
        ? h("p", { class: "warning" }, t("This clinic is registered as closed down."))
        : null,
      h(
        "div",
        { class: "card" },
        h("p", { class: "clinic-kind" }, label("clinic_kinds", current.kind), pendingBadge(current)),
        definition([
          [t("Address"), address || t("No address")],
          [t("Region"), current.region ? regionName(current.region) : null],
          [t("Status"), label("clinic_statuses", current.status)],
          [t("Last visit"), last ? formatDate(last) : t("Never visited")],
          [t("Notes"), current.notes],
        ]),
      ),
      h(
        "div",
        { class: "actions" },
        h("a", { class: "button primary big", href: `#/clinic/${id}/visit` }, t("Log visit")),
        h("a", { class: "button secondary", href: `#/clinic/${id}/edit` }, t("Edit")),
      ),
      h(
        "div",
        { class: "card" },
        h(
          "h2",
          {},
          t("Opening hours"),
          open === null
            ? null
            : h(
                "span",
                { class: `open-now ${open ? "is-open" : "is-closed"}` },
                open ? t("Open now") : t("Closed now"),
              ),
        ),
        hoursTable(current.opening_hours),
      ),
      h(
        "div",
        { class: "card" },
        h("h2", {}, t("Last visits")),
        visits.length
          ? h("ul", { class: "visit-list" }, visits.slice(0, LAST_VISITS).map(visitLine))
          : empty(t("No visits on the phone.")),
      ),
    );
  }
  ctx.on("data", () => draw());
  await draw();
  return { name: "clinic", title: clinic.name, node: section, back: "#/today" };
}
