// screens/sms.js — SMS outreach (#/sms): the numbers to text, one tap to open the messages app
// with the text in the chosen language, "sent?" confirmed by the nurse; then what came of each
// text (reply, no reply, wrong number, controller answered, asked not to be contacted), a
// reply turned into a conversation (channel sms) with a new or matched person; and the texts
// the server refused (a colleague texted the number first, or it asked not to be contacted):
// kept, and shown as refused with the server's words, until the nurse discards it here.

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
// The language the nurse picked for a number (lead id -> template id), and what she is typing
// as the name given in a reply (contact id -> the input itself): the outbox redraws the screen
// as it sends, which must not undo a choice or swallow what is being typed.
const picked = new Map();
const aliasInputs = new Map();

function numberCard(number, templates, draw) {
  const offered = sms.templatesFor(templates, number.languages);
  let chosen =
    offered.find((tpl) => tpl.id === picked.get(number.lead_id)) ||
    sms.preferredTemplate(offered, number.languages);
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
        chosen = offered.find((tpl) => tpl.id === event.target.value) || null;
        if (chosen) picked.set(number.lead_id, chosen.id);
        update();
      },
    },
    offered.map((tpl) =>
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
    offered.length ? h("label", { class: "field" }, t("Language of the text"), select) : null,
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
  aliasInputs.delete(contact.id);
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
    if (!aliasInputs.has(contact.id)) {
      aliasInputs.set(contact.id, h("input", { type: "text", class: "sms-alias", autocomplete: "off", maxlength: 100 }));
    }
    const alias = aliasInputs.get(contact.id);
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

/** Drops a text the server refused, after the nurse confirms: its outbox entries and its
 * copy on this phone; nothing else (a conversation started from it is sent as it is). */
async function discardRefused(entry, draw) {
  const choice = await ask({
    title: t("Discard this text?"),
    text: [
      t("The server will not record it: it has a text to this number already, or the number asked not to be contacted."),
      t("Nothing else on this phone is deleted."),
    ],
    choices: [
      { value: null, label: t("Keep it"), class: "secondary" },
      { value: "discard", label: t("Discard the text"), class: "danger" },
    ],
  });
  if (choice !== "discard") return;
  const entries = await outbox.entries();
  for (const other of entries) {
    if (other.kind === "sms_contact" && other.id === entry.id) await outbox.discard(other.seq);
  }
  await db.prune("sms_contacts", (c) => c.id === entry.id);
  await draw();
  notice(t("The text was discarded."), "warn");
}

function refusedLine(entry, draw) {
  const body = entry.body || {};
  const messages = (entry.error && entry.error.errors && entry.error.errors.phone) || [];
  return h(
    "li",
    { class: "card sms-refused", dataset: { id: entry.id } },
    h("p", { class: "lead" }, body.phone || "", " ", h("span", { class: "badge refused" }, t("Refused"))),
    h("p", { class: "muted" }, t("Texted %(when)s", { when: formatDateTime(body.sent_at) })),
    h("p", { class: "warning" }, messages.length ? messages.join(" ") : (entry.error && entry.error.message) || ""),
    h(
      "p",
      { class: "muted" },
      t("The server keeps no second text to a number within the limit, and none to a number that asked not to be contacted. Kept here until you discard it; nothing is lost."),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "danger", onclick: () => discardRefused(entry, draw) }, t("Discard…")),
    ),
  );
}

export async function render(_params, ctx) {
  const numbersList = h("div", {});
  const mineList = h("div", {});
  const refusedList = h("div", {});
  const refusedCard = h("div", { class: "card", hidden: true }, h("h2", {}, t("Refused by the server")), refusedList);
  const mineCard = h("div", { class: "card" }, h("h2", {}, t("Your texts")), mineList);
  // The list of numbers can be long (a year of ads): her own texts, to record what came of
  // them, are one tap away, and a search narrows the numbers.
  const toMine = h("button", { type: "button", class: "secondary sms-to-mine", onclick: () => mineCard.scrollIntoView() });
  const search = h("input", {
    type: "search",
    class: "sms-search",
    autocomplete: "off",
    maxlength: 100,
    oninput: () => draw(),
  });
  const draw = redraw(read, show);

  function matches(number) {
    const wanted = search.value.trim().toLowerCase();
    if (!wanted) return true;
    const text = [number.alias, number.site].join(" ").toLowerCase();
    if (text.includes(wanted)) return true;
    // A number as written ("20 12 34", "+45 2012"): its digits; words are no number.
    const digits = /^[\d\s+().-]+$/.test(wanted) ? wanted.replace(/\D/g, "") : "";
    return digits.length >= 3 && String(number.phone).includes(digits);
  }

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
      numbers: sms.newestFirst(sms.textable(numbers, contacts, settings.period_days || 14)).filter(matches),
      searching: Boolean(search.value.trim()),
      mine,
      refused,
    };
  }

  let shown = null;
  function show({ settings, numbers, searching, mine, refused }) {
    // The outbox announces every attempt: redraw only what changed, so that a button is not
    // replaced under the nurse's finger.
    const key = JSON.stringify([settings, numbers, mine, refused.map((e) => [e.id, e.error]), [...asked]]);
    if (key === shown) return;
    shown = key;
    const templates = settings.templates || [];
    const none = searching ? t("No number to text matches the search.") : t("No numbers to text now.");
    fill(
      numbersList,
      !templates.length ? h("p", { class: "warning" }, t("No message templates yet: an admin writes them in the settings.")) : null,
      numbers.length
        ? h("ul", { class: "sms-numbers" }, numbers.map((n) => numberCard(n, templates, draw)))
        : empty(none),
    );
    fill(toMine, t("Your texts: %(count)s", { count: mine.length }));
    toMine.hidden = !mine.length;
    const typing = [...aliasInputs.values()].find((input) => input === document.activeElement);
    fill(
      mineList,
      mine.length ? h("ul", { class: "sms-contacts" }, mine.map(contactLine)) : empty(t("No texts in the last 30 days.")),
    );
    if (typing && typing.isConnected) typing.focus();
    refusedCard.hidden = !refused.length;
    fill(refusedList, h("ul", { class: "sms-refused-list" }, refused.map((entry) => refusedLine(entry, draw))));
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
      toMine,
      refusedCard,
      h(
        "div",
        { class: "card" },
        h("h2", {}, t("Numbers to text")),
        h("label", { class: "field" }, t("Find a number, a name or a site"), search),
        numbersList,
      ),
      mineCard,
    ),
  };
}
