// screens/conversations.js — conversations outside visits (phone, SMS, drop-in, other):
// the recent ones made on this phone, and "New conversation".

import * as db from "../db.js";
import { t } from "../i18n.js";
import { fill, h, redraw } from "../ui.js";
import { empty } from "./common.js";
import { conversationLine } from "./visit.js";

export async function render(_params, ctx) {
  const list = h("div", {});
  const draw = redraw(read, show);

  async function read() {
    const conversations = (await db.getAll("conversations"))
      .filter((c) => !c.visit_id)
      .sort((a, b) => (a.occurred_at < b.occurred_at ? 1 : -1));
    const persons = new Map();
    for (const c of conversations) persons.set(c.person_id, await db.get("persons", c.person_id));
    return { conversations, persons };
  }

  function show({ conversations, persons }) {
    fill(
      list,
      conversations.length
        ? h(
            "ul",
            { class: "conversation-list" },
            conversations.map((c) => conversationLine(c, persons.get(c.person_id))),
          )
        : empty(t("No conversations outside visits on this phone in the last 30 days.")),
    );
  }
  ctx.on("data", () => draw());
  await draw();
  return {
    name: "conversations",
    title: t("Outside visits"),
    node: h(
      "section",
      { class: "screen" },
      h("p", { class: "lead" }, t("Phone calls, text messages and drop-ins: log them here.")),
      h("a", { class: "button primary big", href: "#/conversations/new" }, t("New conversation")),
      h("a", { class: "button secondary", href: "#/sms" }, t("SMS outreach")),
      h("div", { class: "card" }, h("h2", {}, t("Recent")), list),
    ),
  };
}
