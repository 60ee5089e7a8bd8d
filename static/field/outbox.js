// outbox.js — every record made on the phone waits here until the server confirmed it
// (DESIGN.md §5). Written to IndexedDB before anything else happens; replayed in order, one at
// a time: on page load, on the `online` event, on a timer with exponential backoff, and on
// demand. Network errors, 5xx and 429 are retried; 401 waits for a new login; a stale CSRF
// token is renewed; any other 4xx parks the record as "needs attention" with the server's
// message, and records that refer to it wait behind it.

import * as api from "./api.js";
import * as db from "./db.js";
import { emit, on } from "./events.js";
import { KINDS, confirmedCopy, pendingCopy, refsOf } from "./records.js";
import * as session from "./session.js";

const BACKOFF_FIRST_MS = 5000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;

let sendingSeq = null; // the entry on the wire right now
let running = null; // the replay in progress
let again = false; // replay asked for while one was running
let failures = 0; // consecutive rounds that ended on a network error
let timer = null;
let nextAttemptAt = null;
let lastProblem = null; // "offline" | "server" | "auth" | null

export function status() {
  return { sendingSeq, nextAttemptAt, lastProblem, running: Boolean(running) };
}

export function entries() {
  return db.outboxEntries();
}

export async function entryFor(id) {
  const all = await db.outboxEntries();
  return all.filter((e) => e.id === id).pop() || null;
}

export async function count() {
  return db.count("outbox");
}

/** Saves a record made on the phone: the outbox first (durably), then the local store the
 * screens read, then a replay. A record with the same id still waiting is replaced: that is
 * how a fix of a "needs attention" record, or a second edit, goes out. */
export async function save(kind, id, body, { headers = null } = {}) {
  const user = session.current();
  if (!user) throw new Error("not logged in");
  const spec = KINDS[kind];
  const entry = {
    id,
    kind,
    method: "PUT",
    url: spec.path + id,
    body,
    headers,
    refs: refsOf(kind, body),
    user_id: user.id,
    state: "waiting",
    error: null,
    attempts: 0,
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  };
  await db.outboxAdd(entry, sendingSeq);
  const existing = await db.get(spec.store, id);
  await db.put(spec.store, pendingCopy(kind, id, body, existing));
  emit("outbox");
  emit("data");
  replaySoon();
}

/** Drops a record that will never be accepted; only after the nurse's explicit choice. */
export async function discard(seq) {
  await db.outboxDiscard(seq);
  emit("outbox");
}

function replaySoon() {
  setTimeout(() => replay(), 0);
}

function schedule() {
  clearTimeout(timer);
  const delay = Math.min(BACKOFF_FIRST_MS * 2 ** failures, BACKOFF_MAX_MS);
  failures += 1;
  nextAttemptAt = Date.now() + delay;
  timer = setTimeout(() => {
    nextAttemptAt = null;
    replay();
  }, delay);
}

/** "Send now": forget the backoff and go, also right after a round that is still running. */
export async function sendNow() {
  if (running) await running.catch(() => {});
  failures = 0;
  clearTimeout(timer);
  nextAttemptAt = null;
  return replay();
}

export function replay() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    let result;
    do {
      again = false;
      result = await withLock(replayOnce);
    } while (again && result.stop === null);
    return result;
  })().finally(() => {
    running = null;
    emit("outbox");
  });
  return running;
}

function withLock(work) {
  // One tab sends at a time; a resend would be harmless, but order matters.
  if (navigator.locks && navigator.locks.request) return navigator.locks.request("outreach-outbox", work);
  return work();
}

async function replayOnce() {
  const result = { sent: 0, refused: 0, stop: null };
  const user = session.current();
  if (!user || session.needsLogin()) return { ...result, stop: "auth" };
  if (!db.isUnlocked(user.id)) return { ...result, stop: "locked" }; // sent after the unlock
  const blocked = new Set(); // ids that did not go out: whatever refers to them waits
  let lastSeq = 0;
  for (;;) {
    const batch = (await db.outboxEntries()).filter((e) => e.seq > lastSeq);
    if (!batch.length) break;
    for (const entry of batch) {
      lastSeq = entry.seq;
      const waitsBehind = entry.refs.some((ref) => blocked.has(ref));
      if (entry.user_id !== user.id || entry.state === "attention" || waitsBehind) {
        blocked.add(entry.id);
        continue;
      }
      const outcome = await send(entry);
      if (outcome === "sent") result.sent += 1;
      else if (outcome === "refused") {
        result.refused += 1;
        blocked.add(entry.id);
      } else {
        result.stop = outcome; // "retry", "auth" or "locked": later records wait, in order
        break;
      }
    }
    if (result.stop) break;
  }
  if (result.stop === "retry") schedule();
  else {
    failures = 0;
    if (result.stop === null) {
      lastProblem = null;
      emit("outbox:settled", result);
    }
  }
  return result;
}

async function put(entry) {
  return api.request(entry.method, entry.url, { body: entry.body, headers: entry.headers || {} });
}

async function send(entry) {
  sendingSeq = entry.seq;
  emit("outbox");
  try {
    let answer = await put(entry);
    if (api.isCsrfError(answer)) {
      // The token went stale (a new session in another tab, a restart): renew and resend.
      const renewed = await session.refresh();
      if (renewed === "auth") return await keep(entry, "auth", answer);
      if (renewed !== "ok") return await keep(entry, "retry", answer);
      answer = await put(entry);
    }
    const verdict = api.classify(answer);
    if (verdict === "ok") {
      if (!answer.data || answer.data.id !== entry.id) {
        return await keep(entry, "retry", answer); // not a confirmation of this record
      }
      const store = KINDS[entry.kind].store;
      const existing = await db.get(store, entry.id);
      await db.outboxConfirm(entry.seq, store, confirmedCopy(entry.kind, answer.data, existing));
      emit("data");
      emit("network", true);
      return "sent";
    }
    if (verdict === "auth") {
      await keep(entry, "auth", answer); // before a revocation locks the key
      await session.requireLogin(answer);
      return "auth";
    }
    if (verdict === "retry" || verdict === "csrf") return await keep(entry, "retry", answer);
    await db.outboxUpdate(entry.seq, {
      state: "attention",
      error: {
        status: answer.status,
        message: (answer.data && answer.data.message) || `HTTP ${answer.status}`,
        errors: (answer.data && answer.data.errors) || null,
      },
      attempts: (entry.attempts || 0) + 1,
      updated_at: new Date().toISOString(),
    });
    emit("network", true);
    return "refused";
  } catch (error) {
    // Locked while it was on the wire: it stays, and goes (again, harmlessly) after the unlock.
    if (error instanceof db.Locked) return "locked";
    if (!(error instanceof api.NetworkError)) throw error;
    lastProblem = "offline";
    emit("network", false);
    await db.outboxUpdate(entry.seq, { attempts: (entry.attempts || 0) + 1 });
    return "retry";
  } finally {
    sendingSeq = null;
    emit("outbox");
  }
}

async function keep(entry, outcome, answer) {
  lastProblem = outcome === "auth" ? "auth" : "server";
  emit("network", true);
  await db.outboxUpdate(entry.seq, {
    attempts: (entry.attempts || 0) + 1,
    last_status: answer ? answer.status : null,
  });
  return outcome;
}

/** How each entry stands, for the outbox screen and the header. */
export async function describe() {
  const all = await db.outboxEntries();
  const user = session.current();
  const blockedBy = new Map();
  const out = [];
  for (const entry of all) {
    let state = entry.state === "attention" ? "attention" : "waiting";
    let blocker = null;
    if (entry.seq === sendingSeq) state = "sending";
    else if (user && entry.user_id !== user.id) state = "other_user";
    else if (state !== "attention") {
      blocker = entry.refs.map((ref) => blockedBy.get(ref)).find(Boolean) || null;
      if (blocker) state = "behind";
    }
    if (state === "attention" || state === "behind" || state === "other_user") {
      blockedBy.set(entry.id, blocker || entry);
    }
    out.push({ entry, state, blocker });
  }
  return out;
}

/** Replays on load, when the phone comes online, after a login, and by timer. */
export function start() {
  window.addEventListener("online", () => {
    failures = 0;
    replay();
  });
  on("session", () => {
    if (session.current() && !session.needsLogin()) replaySoon();
  });
  replay();
}
