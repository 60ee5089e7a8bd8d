// screens/sms.js — SMS outreach (#/sms): the numbers to text, one tap to open the messages app
// with the text in the chosen language, "sent?" confirmed by the nurse; then what came of each
// text (reply, no reply, wrong number, controller answered, asked not to be contacted), a
// reply turned into a conversation (channel sms) with a new or matched person; and the texts
// the server refused (a colleague texted the number first, or it asked not to be contacted):
// kept, and shown as refused with the server's words.

import * as db from "../db.js";
import { formatDateTime, languageName, t } from "../i18n.js";
import { rank } from "../matching.js";
import * as outbox from "../outbox.js";
import { newId } from "../records.js";
import * as sms from "../sms.js";
import { isoWithOffset } from "../time.js";
import { ask, fill, h, notice, redraw } from "../ui.js";
import { label } from "../vocabulary.js";
import { empty, pendingBadge } from "./common.js";

function contactBody(contact, changes = {}) {
  const body = {
    lead_id: contact.lead_id || null,
    phone: contact.phone,
    language: contact.language || null,
    template_id: contact.template_id || null,
    sent_at: contact.sent_at,
    outcome: contact.outcome || "sent",
    conversation_id: contact.conversation_id || null,
    notes: contact.notes || null,
  };
  return { ...body, ...changes };
}

async function saveSent(number, template) {
  await outbox.save("sms_contact", newId(), {
    lead_id: number.lead_id,
    phone: number.phone,
    language: template.language,
    template_id: template.id,
    sent_at: isoWithOffset(new Date()),
    outcome: "sent",
    conversation_id: null,
    notes: null,
  });
  notice(t("Saved. Record what comes of it below."), "ok");
}

// Numbers whose link was tapped: lead id -> the template sent. The card asks whether the text
// went out; kept across redraws while the screen is open.
const asked = new Map();

function numberCard(number, templates, draw) {
  let chosen = sms.preferredTemplate(templates, number.languages);
  const question = asked.get(number.lead_id);
  const link = h("a", { class: "button primary big sms-link", href: "#" }, t("Text this number"));
  const update = () => {
    link.setAttribute("href", chosen ? sms.smsLink(number.phone, chosen.body) : "#");
    link.classList.toggle("disabled", !chosen);
  };
  // The messages app opens (the link's default action); the card then asks whether it went.
  link.addEventListener("click", (event) => {
    if (!chosen) {
      event.preventDefault();
      return;
    }
    asked.set(number.lead_id, chosen);
    draw();
  });
  const confirm = question
    ? h(
        "div",
        { class: "sms-confirm", role: "group", "aria-label": t("Did the text go out?") },
        h("p", {}, t("Did the text go out?"), " ", t("Say yes only once you have sent it in the messages app.")),
        h(
          "div",
          { class: "actions" },
          h(
            "button",
            {
              type: "button",
              class: "secondary",
              onclick: () => {
                asked.delete(number.lead_id);
                draw();
              },
            },
            t("Not sent"),
          ),
          h(
            "button",
            {
              type: "button",
              class: "primary",
              onclick: async () => {
                asked.delete(number.lead_id);
                await saveSent(number, question);
              },
            },
            t("Yes, sent"),
          ),
        ),
      )
    : null;
  const select = h(
    "select",
    {
      class: "sms-language",
      "aria-label": t("Language of the text"),
      onchange: (event) => {
        chosen = templates.find((tpl) => tpl.id === event.target.value) || null;
        update();
      },
    },
    templates.map((tpl) =>
      h("option", { value: tpl.id, selected: chosen && tpl.id === chosen.id }, languageName(tpl.language)),
    ),
  );
  update();
  const languages = (number.languages || []).map(languageName).join(", ");
  return h(
    "li",
    { class: "card sms-number", dataset: { lead: number.lead_id } },
    h("p", { class: "lead" }, number.alias || t("No name in the ad"), " · ", number.site || ""),
    h("p", { class: "muted" }, number.phone, languages ? ` · ${languages}` : "",
      number.leads > 1 ? ` · ${t("in %(count)s ads", { count: number.leads })}` : ""),
    number.last_texted_at
      ? h("p", { class: "muted" }, t("Last texted %(when)s", { when: formatDateTime(number.last_texted_at) }))
      : null,
    templates.length ? h("label", { class: "field" }, t("Language of the text"), select) : null,
    link,
    confirm,
  );
}

async function record(contact, outcome) {
  if (outcome === "opted_out") {
    const sure = await ask({
      title: t("Asked not to be contacted?"),
      text: [t("The number goes on the do-not-contact list for good: nobody in the team can text it again.")],
      choices: [
        { value: null, label: t("Cancel"), class: "secondary" },
        { value: "yes", label: t("Yes, never again"), class: "danger" },
      ],
    });
    if (sure !== "yes") return;
  }
  await outbox.save("sms_contact", contact.id, contactBody(contact, { outcome }));
  notice(t("Saved."), "ok");
}

function outcomeButtons(contact) {
  return h(
    "div",
    { class: "sms-outcomes" },
    sms.OUTCOMES.map((outcome) =>
      h(
        "button",
        {
          type: "button",
          class: outcome === "opted_out" ? "danger" : "secondary",
          dataset: { outcome },
          onclick: () => record(contact, outcome),
        },
        label("sms_outcomes", outcome),
      ),
    ),
  );
}

async function startConversation(contact, aliasInput) {
  const alias = aliasInput.value.trim();
  if (!alias) {
    notice(t("Write the name she gives."), "warn");
    aliasInput.focus();
    return;
  }
  const persons = await db.getAll("persons");
  const best = rank({ alias }, persons, 1)[0];
  let personId = null;
  if (best && best.reasons.includes("same_alias")) {
    const same = await ask({
      title: t("Met before?"),
      text: [t("%(alias)s is already known. Is this the same person?", { alias: best.person.alias })],
      choices: [
        { value: "new", label: t("No, someone new"), class: "secondary" },
        { value: "same", label: t("Yes, the same person"), class: "primary" },
      ],
    });
    if (same === null) return;
    if (same === "same") personId = best.person.id;
  }
  if (!personId) {
    personId = newId();
    await outbox.save("person", personId, {
      alias,
      nationality: null,
      birth_year: null,
      gender: "unknown",
      languages: contact.language ? [contact.language] : [],
    });
  }
  const conversationId = newId();
  await outbox.save("conversation", conversationId, {
    person_id: personId,
    visit_id: null,
    channel: "sms",
    occurred_at: isoWithOffset(new Date()),
    topics: [],
    language: contact.language || null,
    interpreter_used: false,
    concern_level: null,
    indicators: [],
    referral: null,
    follow_up_needed: false,
    notes: null,
  });
  await outbox.save(
    "sms_contact",
    contact.id,
    contactBody(contact, { outcome: "reply", conversation_id: conversationId }),
  );
  notice(t("Conversation saved, linked to the text."), "ok");
}

function contactLine(contact) {
  const items = [
    h("p", { class: "lead" }, contact.phone, " ", pendingBadge(contact)),
    h(
      "p",
      { class: "muted" },
      t("Texted %(when)s", { when: formatDateTime(contact.sent_at) }),
      contact.language ? ` · ${languageName(contact.language)}` : "",
      " · ",
      h("span", { class: "sms-outcome" }, label("sms_outcomes", contact.outcome)),
    ),
  ];
  if (contact.outcome === "sent") items.push(outcomeButtons(contact));
  if (contact.outcome === "reply" && !contact.conversation_id) {
    const alias = h("input", { type: "text", class: "sms-alias", autocomplete: "off", maxlength: 100 });
    items.push(
      h(
        "div",
        { class: "sms-conversation" },
        h("label", { class: "field" }, t("Her name, as she gives it"), alias),
        h(
          "button",
          { type: "button", class: "primary", onclick: () => startConversation(contact, alias) },
          t("Start a conversation"),
        ),
      ),
    );
  }
  if (contact.conversation_id) items.push(h("p", { class: "muted" }, t("Became a conversation.")));
  return h("li", { class: "card sms-contact", dataset: { id: contact.id } }, items);
}

function refusedLine(entry) {
  const body = entry.body || {};
  const messages = (entry.error && entry.error.errors && entry.error.errors.phone) || [];
  return h(
    "li",
    { class: "card sms-refused", dataset: { id: entry.id } },
    h("p", { class: "lead" }, body.phone || "", " ", h("span", { class: "badge refused" }, t("Refused"))),
    h("p", { class: "muted" }, t("Texted %(when)s", { when: formatDateTime(body.sent_at) })),
    h("p", { class: "warning" }, messages.length ? messages.join(" ") : (entry.error && entry.error.message) || ""),
    h("p", { class: "muted" }, t("Kept on this phone and in the outbox; nothing is lost.")),
  );
}

export async function render(_params, ctx) {
  const numbersList = h("div", {});
  const mineList = h("div", {});
  const refusedList = h("div", {});
  const refusedCard = h("div", { class: "card", hidden: true }, h("h2", {}, t("Refused by the server")), refusedList);
  const draw = redraw(read, show);

  async function read() {
    const [settings, numbers, contacts, entries] = await Promise.all([
      sms.settings(),
      db.getAll("sms_numbers"),
      db.getAll("sms_contacts"),
      outbox.entries(),
    ]);
    const refused = entries.filter((e) => e.kind === "sms_contact" && e.state === "attention");
    const refusedIds = new Set(refused.map((e) => e.id));
    const mine = contacts
      .filter((c) => !refusedIds.has(c.id))
      .sort((a, b) => (a.sent_at < b.sent_at ? 1 : -1));
    return {
      settings,
      numbers: sms.textable(numbers, contacts, settings.period_days || 14),
      mine,
      refused,
    };
  }

  let shown = null;
  function show({ settings, numbers, mine, refused }) {
    // The outbox announces every attempt: redraw only what changed, so that a button is not
    // replaced under the nurse's finger.
    const key = JSON.stringify([settings, numbers, mine, refused.map((e) => [e.id, e.error]), [...asked]]);
    if (key === shown) return;
    shown = key;
    const templates = settings.templates || [];
    fill(
      numbersList,
      !templates.length ? h("p", { class: "warning" }, t("No message templates yet: an admin writes them in the settings.")) : null,
      numbers.length
        ? h("ul", { class: "sms-numbers" }, numbers.map((n) => numberCard(n, templates, draw)))
        : empty(t("No numbers to text now.")),
    );
    fill(
      mineList,
      mine.length ? h("ul", { class: "sms-contacts" }, mine.map(contactLine)) : empty(t("No texts in the last 30 days.")),
    );
    refusedCard.hidden = !refused.length;
    fill(refusedList, h("ul", { class: "sms-refused-list" }, refused.map(refusedLine)));
  }

  ctx.on("data", () => draw());
  ctx.on("outbox", () => draw());
  await draw();
  return {
    name: "sms",
    title: t("SMS outreach"),
    back: "#/conversations",
    node: h(
      "section",
      { class: "screen" },
      h("p", { class: "lead" }, t("Numbers from ads: text them from this phone in their language.")),
      refusedCard,
      h("div", { class: "card" }, h("h2", {}, t("Numbers to text")), numbersList),
      h("div", { class: "card" }, h("h2", {}, t("Your texts")), mineList),
    ),
  };
}
