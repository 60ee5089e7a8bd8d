// screens/today.js — the nurse's route for today when a coordinator saved one, then the
// clinics of the organisation's regions, each with today's state (not yet / admitted / not
// admitted, from today's visits on the phone, unsent ones included), filtered by region,
// "not visited since" and a search.

import * as db from "../db.js";
import * as drafts from "../drafts.js";
import { formatDate, formatDateTime, formatTime, regionName, t } from "../i18n.js";
import * as outbox from "../outbox.js";
import * as session from "../session.js";
import * as sync from "../sync.js";
import { isToday, localDate, openNow } from "../time.js";
import { fill, h, icon, notice, redraw } from "../ui.js";
import { label } from "../vocabulary.js";

const PREFS_KEY = "outreach.field.today"; // UI preferences only: region, date, closed shown
const PAGE = 60;

function loadPrefs() {
  try {
    return JSON.parse(localStorage.getItem(PREFS_KEY)) || {};
  } catch {
    return {};
  }
}

function savePrefs(prefs) {
  localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
}

function normalise(text) {
  return String(text || "")
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase();
}

function summarise(clinics, visits) {
  // The pull brings each clinic's last visit, also one older than the visits the phone keeps.
  const byClinic = new Map(clinics.map((c) => [c.id, { clinic: c, last: c.last_visit_at || null, today: [] }]));
  for (const visit of visits) {
    const row = byClinic.get(visit.clinic_id);
    if (!row) continue;
    if (!row.last || new Date(visit.started_at) > new Date(row.last)) row.last = visit.started_at;
    if (isToday(visit.started_at)) row.today.push(visit);
  }
  for (const row of byClinic.values()) {
    row.today.sort((a, b) => new Date(a.started_at) - new Date(b.started_at));
    if (!row.today.length) row.state = "not_yet";
    else row.state = row.today.some((v) => v.outcome === "admitted") ? "admitted" : "not_admitted";
    row.lastTime = row.last ? new Date(row.last).getTime() : null;
  }
  return [...byClinic.values()];
}

const STATE_LABELS = {
  not_yet: () => t("Not yet"),
  admitted: () => t("Admitted"),
  not_admitted: () => t("Not admitted"),
};

function compare(a, b) {
  // Clinics still to visit today first, the longest unvisited (never) first; then those
  // visited today, in the order of the visits.
  const doneA = a.state !== "not_yet";
  const doneB = b.state !== "not_yet";
  if (doneA !== doneB) return doneA ? 1 : -1;
  if (doneA) return new Date(a.today[0].started_at) - new Date(b.today[0].started_at);
  if (a.lastTime !== b.lastTime) {
    if (a.lastTime === null) return -1;
    if (b.lastTime === null) return 1;
    return a.lastTime - b.lastTime;
  }
  return a.clinic.name.localeCompare(b.clinic.name);
}

function tomorrow() {
  const now = new Date();
  return localDate(new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1));
}

function routesOn(plans, date, user) {
  // A trip's routes carry their own date (one for each of its days); a day's are the plan's.
  return plans.flatMap((plan) =>
    plan.routes
      .filter((r) => r.nurse_id === user.id && (r.date || plan.date) === date)
      .map((r) => ({ plan, route: r })),
  );
}

function routeMeta(plan, route) {
  if (route.start_base && route.end_base) {
    return t("From %(base)s %(start)s to %(end_base)s %(end)s · %(km)s km", {
      base: route.start_base.name,
      start: formatTime(route.start),
      end_base: route.end_base.name,
      end: formatTime(route.end),
      km: Math.round(route.distance_km || 0),
    });
  }
  return t("From %(base)s %(start)s, back %(end)s · %(km)s km", {
    base: plan.base ? plan.base.name : "",
    start: formatTime(route.start),
    end: formatTime(route.end),
    km: Math.round(route.distance_km || 0),
  });
}

// Tomorrow's route, once the nurse unfolds it, stays open when a sync redraws the screen.
let tomorrowOpen = false;

/** Today's route with each stop's state, or tomorrow's (checked the evening before: folded
 * to one line, so that it never pushes today's clinics down the screen). */
function routeSection(routes, byClinic, { later = false } = {}) {
  if (!routes.length) return null;
  const titleId = later ? "route-tomorrow-title" : "route-title";
  const title = h(
    "h2",
    { id: titleId },
    later
      ? t("Your route tomorrow, %(date)s", {
          date: formatDate(`${routes[0].route.date || routes[0].plan.date}T12:00:00`),
        })
      : t("Your route today"),
  );
  const blocks = routes.map(({ plan, route }) =>
    h(
      "div",
      { class: "route-block" },
      h(
        "p",
        { class: "route-meta" },
        routeMeta(plan, route),
      ),
      h(
        "ol",
        { class: "route-stops" },
        route.stops.map((stop) => {
          const item = byClinic.get(stop.clinic_id);
          const state = item && !later ? item.state : "not_yet";
          return h(
            "li",
            {},
            h(
              "a",
              { class: ["route-stop", !later && `state-${state}`], href: `#/clinic/${stop.clinic_id}` },
              h("span", { class: "route-time" }, formatTime(stop.arrival)),
              h(
                "span",
                { class: "route-name" },
                item ? item.clinic.name : stop.name,
                item && item.clinic.city ? h("small", {}, item.clinic.city) : null,
              ),
              later ? null : h("span", { class: `badge state state-${state}` }, STATE_LABELS[state]()),
            ),
          );
        }),
      ),
    ),
  );
  if (later) {
    const count = routes.reduce((n, { route }) => n + route.stops.length, 0);
    return h(
      "section",
      { class: ["card", "route-tomorrow"], "aria-labelledby": titleId },
      h(
        "details",
        { open: tomorrowOpen, ontoggle: (event) => (tomorrowOpen = event.target.open) },
        h("summary", {}, title, h("span", { class: "route-count" }, t("Stops: %(count)s", { count }))),
        blocks,
      ),
    );
  }
  return h("section", { class: ["card", "route"], "aria-labelledby": titleId }, title, blocks);
}

const DRAFT_KINDS = {
  visit: () => t("Visit"),
  conversation: () => t("Conversation"),
  person: () => t("Person"),
  clinic: () => t("Clinic"),
};

/** Forms left half-filled (drafts.js), each a link back to its form, which offers to go on. */
function draftSection(kept) {
  if (!kept.length) return null;
  return h(
    "section",
    { class: "card drafts", "aria-labelledby": "drafts-title" },
    h("h2", { id: "drafts-title" }, t("Unfinished forms")),
    h(
      "ul",
      { class: "draft-list" },
      kept
        .sort((a, b) => (a.saved_at < b.saved_at ? 1 : -1))
        .map((d) =>
          h(
            "li",
            {},
            h(
              "a",
              { class: "draft-link", href: d.hash },
              h("span", { class: "route-name" }, (DRAFT_KINDS[d.key.split(":")[0]] || DRAFT_KINDS.visit)(), h("small", {}, [d.title, formatDateTime(d.saved_at)].filter(Boolean).join(" · "))),
            ),
          ),
        ),
    ),
  );
}

function row(item) {
  const { clinic, state } = item;
  const open = openNow(clinic.opening_hours);
  return h(
    "li",
    {},
    h(
      "a",
      { class: `clinic-row state-${state}`, href: `#/clinic/${clinic.id}` },
      h(
        "span",
        { class: "clinic-row-main" },
        h("span", { class: "clinic-name" }, clinic.name),
        h(
          "span",
          { class: "clinic-meta" },
          [label("clinic_kinds", clinic.kind), clinic.city].filter(Boolean).join(" · "),
        ),
        h(
          "span",
          { class: "clinic-meta" },
          item.last ? t("Last visited %(date)s", { date: formatDate(item.last) }) : t("Never visited"),
          clinic.status === "closed" ? h("span", { class: "badge closed" }, t("Closed down")) : null,
          clinic.pending ? h("span", { class: "badge pending" }, t("Not sent yet")) : null,
        ),
      ),
      h(
        "span",
        { class: "clinic-row-side" },
        h(
          "span",
          { class: `badge state state-${state}` },
          STATE_LABELS[state](),
          state !== "not_yet" ? ` ${formatTime(item.today[item.today.length - 1].started_at)}` : "",
        ),
        open === null
          ? null
          : h(
              "span",
              { class: `open-now ${open ? "is-open" : "is-closed"}` },
              open ? t("Open now") : t("Closed now"),
            ),
      ),
    ),
  );
}

export async function render(_params, ctx) {
  const user = session.current();
  const prefs = loadPrefs();
  let shown = PAGE;
  let items = [];

  const search = h("input", {
    type: "search",
    name: "q",
    placeholder: t("Search name, street, town"),
    "aria-label": t("Search"),
    autocomplete: "off",
  });
  const regions = (user && user.regions) || [];
  const region = h(
    "select",
    { name: "region", "aria-label": t("Region") },
    h("option", { value: "" }, t("All regions")),
    regions.map((slug) => h("option", { value: slug, selected: prefs.region === slug }, regionName(slug))),
  );
  const since = h("input", { type: "date", name: "since", value: prefs.since || "", max: localDate() });
  const closed = h("input", { type: "checkbox", name: "closed", checked: Boolean(prefs.closed) });
  const list = h("ul", { class: "clinic-list" });
  const countLine = h("p", { class: "count-line", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "secondary wide", hidden: true }, t("Show more"));
  const todayLine = h("p", { class: "today-line" });
  const route = h("div", {});
  const draftList = h("div", {});
  const syncLine = h("span", { class: "sync-line" });

  const load = redraw(read, show);

  async function read() {
    const [clinics, visits, plans, kept] = await Promise.all([
      db.getAll("clinics"),
      db.getAll("visits"),
      db.getAll("route_plans"),
      drafts.list(),
    ]);
    return { clinics, visits, plans, kept, last: await sync.lastSync() };
  }

  function show({ clinics, visits, plans, kept, last }) {
    items = summarise(clinics, visits);
    const byClinic = new Map(items.map((item) => [item.clinic.id, item]));
    fill(
      route,
      routeSection(routesOn(plans, localDate(), user), byClinic),
      routeSection(routesOn(plans, tomorrow(), user), byClinic, { later: true }),
    );
    fill(draftList, draftSection(kept));
    const visitsToday = visits.filter((v) => isToday(v.started_at));
    const admitted = visitsToday.filter((v) => v.outcome === "admitted").length;
    todayLine.textContent = t("Visits today: %(visits)s · admitted: %(admitted)s", {
      visits: visitsToday.length,
      admitted,
    });
    syncLine.textContent = last
      ? t("Updated %(time)s", { time: `${formatDate(last)} ${formatTime(last)}` })
      : t("Not updated yet");
    draw();
  }

  function draw() {
    const q = normalise(search.value.trim());
    const sinceDate = since.value ? new Date(`${since.value}T00:00:00`).getTime() : null;
    const filtered = items.filter(({ clinic, lastTime }) => {
      if (region.value && clinic.region !== region.value) return false;
      if (!closed.checked && clinic.status === "closed") return false;
      if (sinceDate !== null && lastTime !== null && lastTime >= sinceDate) return false;
      if (q) {
        const hay = normalise([clinic.name, clinic.address, clinic.postcode, clinic.city].join(" "));
        if (!q.split(/\s+/).every((word) => hay.includes(word))) return false;
      }
      return true;
    });
    filtered.sort(compare);
    countLine.textContent = t("Clinics: %(count)s", { count: filtered.length });
    fill(list, ...filtered.slice(0, shown).map(row));
    if (!filtered.length) {
      list.append(
        h(
          "li",
          { class: "empty" },
          items.length
            ? t("No clinic matches.")
            : t("No clinics on this phone yet. Update when you have a connection."),
        ),
      );
    }
    more.hidden = filtered.length <= shown;
  }

  const persist = () => {
    savePrefs({ region: region.value, since: since.value, closed: closed.checked });
    shown = PAGE;
    draw();
  };
  search.addEventListener("input", () => {
    shown = PAGE;
    draw();
  });
  region.addEventListener("change", persist);
  since.addEventListener("change", persist);
  closed.addEventListener("change", persist);
  more.addEventListener("click", () => {
    shown += PAGE;
    draw();
  });

  const update = h(
    "button",
    {
      type: "button",
      class: "secondary small",
      onclick: async () => {
        update.disabled = true;
        await outbox.sendNow();
        const result = await sync.pull();
        update.disabled = false;
        if (result === "offline") notice(t("No connection. Showing what is on the phone."), "warn");
        else if (result === "ok") notice(t("Up to date."), "ok");
      },
    },
    t("Update"),
  );

  ctx.on("data", () => load());
  await load();

  const node = h(
    "section",
    { class: "screen today" },
    h("div", { class: "today-head" }, todayLine, h("div", { class: "sync-row" }, syncLine, update)),
    draftList,
    route,
    h(
      "div",
      { class: "filters" },
      h("div", { class: "search-box" }, icon("search"), search),
      h(
        "div",
        { class: "filter-row" },
        h("label", { class: "filter" }, h("span", {}, t("Region")), region),
        h("label", { class: "filter" }, h("span", {}, t("Not visited since")), since),
      ),
      h("label", { class: "inline-check" }, closed, h("span", {}, t("Show closed-down clinics"))),
    ),
    countLine,
    list,
    more,
  );
  return { name: "today", title: t("Today"), node };
}
