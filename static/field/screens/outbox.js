// screens/outbox.js — the records not sent yet: what each is, its state (waiting, sending,
// waiting behind another record, needs attention with the server's message), "Send now",
// and "Fix" to open a refused record in its form.

import * as db from "../db.js";
import { N_, formatDateTime, formatTime, humanize, t } from "../i18n.js";
import * as outbox from "../outbox.js";
import { KINDS } from "../records.js";
import * as session from "../session.js";
import { ask, fill, h, notice, redraw } from "../ui.js";
import { label } from "../vocabulary.js";

const FIX_ROUTES = {
  visit: (id) => `#/visit/${id}/edit`,
  conversation: (id) => `#/conversation/${id}/edit`,
  person: (id) => `#/person/${id}/edit`,
  clinic: (id) => `#/clinic/${id}/edit`,
  sms_contact: () => "#/sms", // a refused text is shown there with the server's words
};

async function summary(entry) {
  const body = entry.body;
  if (!body) return t("Encrypted: only the user who made it can open it");
  if (entry.kind === "visit") {
    const clinic = await db.get("clinics", body.clinic_id);
    return `${clinic ? clinic.name : "–"} · ${label("visit_outcomes", body.outcome)} · ${formatTime(body.started_at)}`;
  }
  if (entry.kind === "person") return body.alias;
  if (entry.kind === "conversation") {
    const person = await db.get("persons", body.person_id);
    return `${t("with %(alias)s", { alias: person ? person.alias : "–" })}${body.occurred_at ? ` · ${formatDateTime(body.occurred_at)}` : ""}`;
  }
  if (entry.kind === "sms_contact") return `${body.phone} · ${label("sms_outcomes", body.outcome)}`;
  return body.name;
}

function stateText(item, describedById) {
  switch (item.state) {
    case "sending":
      return t("Sending…");
    case "attention":
      return t("Needs attention");
    case "behind": {
      const blocker = item.blocker && describedById.get(item.blocker.id);
      return t("Waits for: %(record)s", { record: blocker ? t(KINDS[blocker.entry.kind].label) : "–" });
    }
    case "other_user":
      return t("Made by another user: sent when she logs in");
    default:
      return t("Waiting");
  }
}

// The server names fields as the API does; the nurse knows them by their form labels.
const FIELD_LABELS = {
  clinic_id: N_("Clinic"),
  started_at: N_("Started"),
  outcome: N_("Were you let in?"),
  not_admitted_reason: N_("Why not?"),
  persons_present: N_("Persons present"),
  supplies: N_("Supplies handed out"),
  concern_level: N_("Concern"),
  indicators: N_("Indicators"),
  police_informed: N_("Police informed"),
  notes: N_("Note"),
  alias: N_("Alias (work name as she gives it)"),
  nationality: N_("Nationality"),
  birth_year: N_("Birth year"),
  gender: N_("Gender"),
  person_id: N_("Who"),
  visit_id: N_("Visit"),
  channel: N_("How"),
  occurred_at: N_("When"),
  topics: N_("Topics"),
  language: N_("Language of the conversation"),
  referral: N_("Referral"),
  name: N_("Name"),
  kind: N_("Kind"),
  postcode: N_("Postcode (optional)"),
  lat: N_("Position"),
  opening_hours: N_("Opening hours"),
};

function errorLines(error) {
  const lines = [];
  for (const [field, messages] of Object.entries((error && error.errors) || {})) {
    const [base, code] = field.split(".", 2); // "supplies.condoms": one count of the list
    const name = FIELD_LABELS[base] ? t(FIELD_LABELS[base]) + (code ? `, ${humanize(code)}` : "") : field;
    lines.push(`${name}: ${[].concat(messages).flat().join(" ")}`);
  }
  return lines;
}

export async function render(_params, ctx) {
  const list = h("ol", { class: "outbox-list" });
  const statusLine = h("p", { class: "outbox-status", role: "status" });
  const sendButton = h("button", { type: "button", class: "primary big" }, t("Send now"));

  const draw = redraw(read, show);

  async function read() {
    const described = await outbox.describe();
    const summaries = new Map();
    for (const { entry } of described) summaries.set(entry.seq, await summary(entry));
    return { described, summaries };
  }

  function show({ described, summaries }) {
    const byId = new Map(described.map((d) => [d.entry.id, d]));
    const status = outbox.status();
    const attention = described.filter((d) => d.state === "attention").length;
    if (!described.length) statusLine.textContent = t("Everything is sent.");
    else if (attention)
      statusLine.textContent = t(
        "Records that need your attention: %(count)s. The server did not accept them.",
        {
          count: attention,
        },
      );
    else if (session.needsLogin()) statusLine.textContent = t("Log in again to send.");
    else if (status.lastProblem === "offline")
      statusLine.textContent = status.nextAttemptAt
        ? t("No connection. Next try at %(time)s.", { time: formatTime(status.nextAttemptAt) })
        : t("No connection.");
    else if (status.lastProblem === "server")
      statusLine.textContent = t("The server could not take the records just now; trying again.");
    else statusLine.textContent = t("Records not sent yet: %(count)s.", { count: described.length });
    sendButton.hidden = !described.length;
    const items = [];
    for (const item of described) {
      const { entry, state } = item;
      items.push(
        h(
          "li",
          { class: `outbox-item state-${state}`, "data-kind": entry.kind, "data-id": entry.id },
          h(
            "div",
            { class: "outbox-head" },
            h("span", { class: "outbox-kind" }, t(KINDS[entry.kind].label)),
            h("span", { class: `badge outbox-state state-${state}` }, stateText(item, byId)),
          ),
          h("p", { class: "outbox-summary" }, summaries.get(entry.seq)),
          state === "attention"
            ? h(
                "div",
                { class: "outbox-error" },
                h("p", { class: "outbox-message" }, entry.error.message),
                errorLines(entry.error).map((line) => h("p", { class: "outbox-field-error" }, line)),
                h(
                  "div",
                  { class: "outbox-actions" },
                  h("a", { class: "button primary", href: FIX_ROUTES[entry.kind](entry.id) }, t("Fix")),
                  h(
                    "button",
                    {
                      type: "button",
                      class: "danger-link",
                      onclick: async () => {
                        const choice = await ask({
                          title: t("Delete this record?"),
                          text: [
                            t("It has not reached the server and will be lost for good."),
                            t("Records that refer to it will be refused too."),
                          ],
                          choices: [
                            { value: null, label: t("Keep it"), class: "secondary" },
                            { value: "delete", label: t("Delete for good"), class: "danger" },
                          ],
                        });
                        if (choice === "delete") {
                          await outbox.discard(entry.seq);
                          notice(t("The record was deleted."), "warn");
                        }
                      },
                    },
                    t("Delete…"),
                  ),
                ),
              )
            : null,
        ),
      );
    }
    fill(list, ...items);
  }

  sendButton.addEventListener("click", async () => {
    sendButton.disabled = true;
    if (session.needsLogin()) location.hash = "#/login";
    else await outbox.sendNow();
    sendButton.disabled = false;
  });
  ctx.on("outbox", () => draw());
  await draw();
  return {
    name: "outbox",
    title: t("Outbox"),
    node: h("section", { class: "screen outbox" }, statusLine, sendButton, list),
  };
}
