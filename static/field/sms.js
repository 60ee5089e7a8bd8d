// sms.js — SMS outreach on the phone: the numbers to text and the templates, fetched from
// GET /api/v1/sms-contacts/to-text whenever the phone pulls and kept (sealed, db.js) for
// offline work; which numbers may be texted now; and the `sms:` link that opens the phone's
// messages app with the text ready. The link is made here, on the phone, and never sent to
// the server: it holds the number.

import * as api from "./api.js";
import * as db from "./db.js";
import { emit } from "./events.js";

const KEPT_DAYS = 30; // the nurse's own texts stay on the phone this long, to record outcomes
export const OUTCOMES = ["reply", "no_reply", "wrong_number", "controller_answered", "opted_out"];

/** "ios" or "android": iOS wants `&body=`, Android (and the standard, RFC 5724) `?body=`. */
export function platform(userAgent = navigator.userAgent, touchPoints = navigator.maxTouchPoints) {
  const iPad = /Macintosh/.test(userAgent) && touchPoints > 1; // iPadOS asks for desktop pages
  return /iPhone|iPad|iPod/.test(userAgent) || iPad ? "ios" : "android";
}

/** The link that opens the messages app with `body` ready for `phone` (E.164). */
export function smsLink(phone, body, on = platform()) {
  const number = String(phone).replace(/[^+\d]/g, "");
  return `sms:${number}${on === "ios" ? "&" : "?"}body=${encodeURIComponent(body)}`;
}

/** Fetches the numbers to text, the templates and the nurse's own recent texts; when the
 * answer is the one kept (its ETag, sent back in If-None-Match), the server says 304 and
 * nothing travels. */
export async function refresh() {
  const kept = await db.getMeta("sms");
  let answer;
  try {
    const headers = kept && kept.etag ? { "If-None-Match": kept.etag } : {};
    answer = await api.request("GET", "/api/v1/sms-contacts/to-text", { headers });
  } catch (error) {
    if (error instanceof api.NetworkError) return "offline";
    throw error;
  }
  const cutoff = new Date(Date.now() - KEPT_DAYS * 86400000);
  if (answer.status === 304 && kept) {
    await db.setMeta({ sms: { ...kept, fetched_at: new Date().toISOString() } });
    await db.prune("sms_contacts", (c) => new Date(c.sent_at) < cutoff);
    emit("data");
    return "ok";
  }
  if (!answer.ok || !answer.data) return answer.status === 401 ? "auth" : "retry";
  const data = answer.data;
  const numbers = (data.numbers || []).map((n) => ({ ...n, id: n.lead_id }));
  const keep = new Set(numbers.map((n) => n.id));
  const gone = (await db.getAll("sms_numbers")).map((n) => n.id).filter((id) => !keep.has(id));
  await db.applyPull({
    puts: { sms_numbers: numbers, sms_contacts: data.mine || [] },
    removals: { sms_numbers: gone },
    meta: {
      sms: {
        templates: data.templates || [],
        period_days: data.period_days,
        team_phone: data.team_phone || null,
        fetched_at: new Date().toISOString(),
        etag: answer.headers.get("ETag"),
      },
    },
  });
  await db.prune("sms_contacts", (c) => new Date(c.sent_at) < cutoff);
  emit("data");
  return "ok";
}

export async function settings() {
  return (await db.getMeta("sms")) || { templates: [], period_days: 14, team_phone: null };
}

/** The numbers that may be texted now: none texted within the limit (by the server's count
 * or by this phone's own texts, also those not yet sent), none that asked not to be contacted
 * here since the last fetch. */
export function textable(numbers, contacts, periodDays, now = new Date()) {
  const window = periodDays * 86400000;
  const blocked = new Set(
    contacts
      .filter((c) => c.outcome === "opted_out" || Math.abs(now - new Date(c.sent_at)) < window)
      .map((c) => c.phone),
  );
  return numbers.filter(
    (n) => !blocked.has(n.phone) && (!n.next_allowed_at || new Date(n.next_allowed_at) <= now),
  );
}

/** The templates to offer for a number: those of its languages first (in its order), then
 * the others; only languages that have a template. */
export function templatesFor(templates, languages) {
  const order = (tpl) => {
    const at = (languages || []).indexOf(tpl.language);
    return at === -1 ? Infinity : at;
  };
  return templates
    .map((tpl, index) => [order(tpl), index, tpl])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([, , tpl]) => tpl);
}

/** The numbers with the most recently seen ad first (the server's order; the phone's store
 * keeps them by id). */
export function newestFirst(numbers) {
  return [...numbers].sort((a, b) => String(b.last_seen || "").localeCompare(String(a.last_seen || "")));
}

/** The template to offer first: the first of the number's languages that has one. */
export function preferredTemplate(templates, languages) {
  for (const language of languages || []) {
    const found = templates.find((tpl) => tpl.language === language);
    if (found) return found;
  }
  return templates[0] || null;
}
