// screens/visit.js — one visit after saving it: "Add conversation" (several per visit) and
// "Done" first, where the thumb is after each save, then its conversations and what was logged.

import * as db from "../db.js";
import { formatDateTime, t } from "../i18n.js";
import * as outbox from "../outbox.js";
import { fill, h, redraw } from "../ui.js";
import { label } from "../vocabulary.js";
import { codeLabel, concernBadge, definition, empty, pendingBadge, reference } from "./common.js";

export function conversationLine(conversation, person) {
  const alias = person ? person.alias : t("(person not on the phone)");
  return h(
    "li",
    { class: "conversation-row" },
    h(
      "div",
      { class: "conversation-main" },
      h("span", { class: "conversation-alias" }, alias),
      h(
        "span",
        { class: "muted" },
        [
          conversation.channel !== "visit" ? label("channels", conversation.channel) : null,
          conversation.occurred_at ? formatDateTime(conversation.occurred_at) : null,
          (conversation.topics || []).map((c) => label("topics", c)).join(", ") || null,
        ]
          .filter(Boolean)
          .join(" · "),
      ),
    ),
    h(
      "span",
      { class: "visit-badges" },
      concernBadge(conversation.concern_level),
      pendingBadge(conversation),
    ),
  );
}

export async function render({ id }, ctx) {
  const section = h("section", { class: "screen visit" });
  const visit = await db.get("visits", id);
  if (!visit)
    return { title: t("Visit"), node: empty(t("This visit is not on the phone.")), back: "#/today" };
  const clinic = await db.get("clinics", visit.clinic_id);

  const draw = redraw(read, show);

  async function read() {
    const current = (await db.get("visits", id)) || visit;
    const conversations = await db.getAllByIndex("conversations", "visit_id", id);
    const persons = new Map();
    for (const c of conversations) persons.set(c.person_id, await db.get("persons", c.person_id));
    return { current, conversations, persons, entry: await outbox.entryFor(id), ref: await reference(db) };
  }

  function show({ current, conversations, persons, entry, ref }) {
    const supplies = Object.entries(current.supplies || {})
      .map(([code, n]) => `${codeLabel(ref, "supplies", code)}: ${n}`)
      .join(", ");
    fill(
      section,
      entry && entry.state === "attention"
        ? h(
            "div",
            { class: "warning" },
            h(
              "p",
              {},
              t("The server did not accept this visit: %(message)s", { message: entry.error.message }),
            ),
            h("a", { class: "button primary", href: `#/visit/${id}/edit` }, t("Fix")),
          )
        : null,
      h(
        "div",
        { class: "actions visit-actions" },
        h("a", { class: "button primary big", href: `#/visit/${id}/conversation` }, t("Add conversation")),
        h("a", { class: "button secondary", href: "#/today" }, t("Done")),
      ),
      h(
        "div",
        { class: "card" },
        h("h2", {}, t("Conversations")),
        conversations.length
          ? h(
              "ul",
              { class: "conversation-list" },
              conversations.map((c) => conversationLine(c, persons.get(c.person_id))),
            )
          : empty(t("No conversations logged in this visit yet.")),
      ),
      h(
        "div",
        { class: "card" },
        h("p", { class: "visit-headline" }, label("visit_outcomes", current.outcome), pendingBadge(current)),
        definition([
          [t("Clinic"), clinic ? h("a", { href: `#/clinic/${clinic.id}` }, clinic.name) : null],
          [t("Started"), formatDateTime(current.started_at)],
          [
            t("Why not?"),
            current.not_admitted_reason ? label("not_admitted_reasons", current.not_admitted_reason) : null,
          ],
          [t("Persons present"), current.persons_present ?? null],
          [t("Supplies handed out"), supplies || null],
          [t("Concern"), concernBadge(current.concern_level)],
          [
            t("Indicators"),
            (current.indicators || []).map((c) => codeLabel(ref, "indicators", c)).join(", ") || null,
          ],
          [t("Police informed"), current.police_informed ? t("Yes") : null],
          [t("Note"), current.notes],
        ]),
        h("a", { class: "button secondary", href: `#/visit/${id}/edit` }, t("Edit visit")),
      ),
    );
  }
  ctx.on("data", () => draw());
  ctx.on("outbox", () => draw());
  await draw();
  return {
    name: "visit",
    title: clinic ? clinic.name : t("Visit"),
    node: section,
    back: clinic ? `#/clinic/${clinic.id}` : "#/today",
  };
}
