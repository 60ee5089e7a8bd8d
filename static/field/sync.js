// sync.js — pulls what the phone keeps (clinics, recent visits, the person index, the
// nurse's saved routes, reference lists) from GET /api/v1/sync, page by page while `more`,
// from the cursor the server gave last time: the phone's clock never decides what is new.

import * as api from "./api.js";
import * as db from "./db.js";
import { emit } from "./events.js";
import * as session from "./session.js";
import * as sms from "./sms.js";
import { localDate } from "./time.js";
import * as vocabulary from "./vocabulary.js";

const MAX_PAGES = 200;
const VISIT_HISTORY_DAYS = 400; // as the server: older visits are not kept
const CONVERSATION_DAYS = 30; // summaries of the phone's own conversations

let running = null;
let again = null;

/** Pulls now. Asked while a pull runs, it pulls once more after that one: the running pull may
 * have read the server before the change the caller wants to see. Everyone who asks meanwhile
 * shares that one further pull. */
export function pull() {
  if (!running) {
    running = pullPages().finally(() => (running = null));
    return running;
  }
  if (!again) {
    const next = () => {
      again = null;
      return pull();
    };
    again = running.then(next, next);
  }
  return again;
}

export function lastSync() {
  return db.getMeta("last_sync");
}

function prepare(page) {
  // Merged duplicates leave the index: matching offers the person they were merged into.
  const persons = page.persons || [];
  // A plan without routes (taken back to draft, or none of them hers) leaves the phone.
  const plans = page.route_plans || [];
  const hasRoutes = (plan) => (plan.routes || []).length > 0;
  return {
    puts: {
      clinics: page.clinics || [],
      visits: page.visits || [],
      persons: persons.filter((p) => !p.merged_into_id),
      route_plans: plans.filter(hasRoutes),
    },
    removals: {
      // Merged duplicates, and persons the retention purge deleted on the server.
      persons: [
        ...persons.filter((p) => p.merged_into_id).map((p) => p.id),
        ...(page.deleted_persons || []),
      ],
      route_plans: plans.filter((plan) => !hasRoutes(plan)).map((plan) => plan.id),
    },
    // "Last update" means a complete pull: set with the last page only.
    meta: {
      cursor: page.cursor,
      reference: page.reference || {},
      ...(page.more ? {} : { last_sync: new Date().toISOString() }),
    },
  };
}

async function pullPages() {
  const user = session.current();
  if (!user || session.needsLogin() || !db.isUnlocked(user.id)) return "skipped";
  let cursor = (await db.getMeta("cursor")) || 0;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await api.request("GET", `/api/v1/sync?cursor=${encodeURIComponent(cursor)}`);
      if (answer.status === 401) {
        await session.requireLogin(answer);
        return "auth";
      }
      const data = answer.data;
      if (!answer.ok || !data || typeof data.cursor !== "number") return "retry";
      await db.applyPull(prepare(data));
      vocabulary.use(data.reference);
      cursor = data.cursor;
      emit("data");
      if (!data.more) break;
    }
  } catch (error) {
    if (error instanceof db.Locked) return "locked"; // locked mid-pull: the cursor stays
    if (!(error instanceof api.NetworkError)) throw error;
    emit("network", false);
    return "offline";
  }
  const now = Date.now();
  const visitCutoff = new Date(now - VISIT_HISTORY_DAYS * 86400000);
  const conversationCutoff = new Date(now - CONVERSATION_DAYS * 86400000);
  await db.prune("visits", (v) => new Date(v.started_at) < visitCutoff);
  await db.prune("conversations", (c) => new Date(c.kept_at || 0) < conversationCutoff);
  // A trip stays until its last day is over.
  await db.prune("route_plans", (plan) => (plan.end_date || plan.date) < localDate());
  try {
    await sms.refresh(); // the numbers to text and the templates (SMS outreach)
  } catch (error) {
    if (error instanceof db.Locked) return "locked"; // locked meanwhile: the next pull has them
    throw error;
  }
  emit("network", true);
  emit("data");
  return "ok";
}
