// db.js — owns the phone's IndexedDB database: its schema, its one upgrade(), every read and
// write. Nothing else touches IndexedDB. Values pass through encode()/decode(), the one place
// where encryption at rest (SECURITY.md 22) will wrap them without touching any screen.
//
// Rule from idb: never await anything but IndexedDB requests inside an open transaction
// (no fetch, no timers), or the transaction commits under our feet.

const DB_NAME = "outreach-field";
export const SCHEMA_VERSION = 3;

// Local copies of server data: wiped at logout. The outbox is never wiped without a choice.
export const DATA_STORES = ["clinics", "visits", "persons", "conversations", "route_plans"];
// Half-filled forms (drafts.js): personal data, wiped at logout with the copies above.
const DRAFTS = "drafts";
const ALL_STORES = ["outbox", ...DATA_STORES, DRAFTS, "meta"];
// Meta keys that describe the session and what was pulled; prefs live in localStorage.
const SESSION_META = ["user", "csrf", "cursor", "reference", "last_sync"];

function upgrade(db, oldVersion, tx) {
  if (oldVersion < 1) {
    // Records waiting for the server, in the order they were made (seq), by record id too.
    const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
    outbox.createIndex("id", "id");
    db.createObjectStore("clinics", { keyPath: "id" });
    const visits = db.createObjectStore("visits", { keyPath: "id" });
    visits.createIndex("clinic_id", "clinic_id");
    // Minimal person index for matching: alias, nationality, birth year, recent clinics.
    db.createObjectStore("persons", { keyPath: "id" });
    // Summaries of conversations made on this phone (no notes).
    const conversations = db.createObjectStore("conversations", { keyPath: "id" });
    conversations.createIndex("visit_id", "visit_id");
    db.createObjectStore("meta", { keyPath: "key" });
  }
  if (oldVersion < 2) {
    // Saved route plans of today and later, with only the nurse's own route(s).
    db.createObjectStore("route_plans", { keyPath: "id" });
  }
  if (oldVersion < 3) {
    // Drafts of the forms, by form (drafts.js): one per new record's context or record id.
    db.createObjectStore(DRAFTS, { keyPath: "key" });
    // Clinics pulled before carry no last visit (last_visit_at): pull everything once more.
    if (oldVersion >= 1) tx.objectStore("meta").delete("cursor");
  }
}

// Encryption seam: today the identity. Keys and indexed fields stay readable.
function encode(store, value) {
  return value;
}
function decode(store, value) {
  return value;
}

let opening = null;

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, SCHEMA_VERSION);
      request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion, request.transaction);
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => {
          db.close(); // a newer version of the app in another tab wants to upgrade
          opening = null;
        };
        db.onclose = () => {
          opening = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Runs `work(stores)` in one transaction and resolves with its result once committed.
async function run(names, mode, work, durability = "default") {
  const db = await open();
  const tx = db.transaction(names, mode, { durability });
  const committed = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new DOMException("Transaction aborted", "AbortError"));
  });
  const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
  let result;
  try {
    result = await work(stores);
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // already finished
    }
    await committed.catch(() => {});
    throw error;
  }
  await committed;
  return result;
}

// Plain reads and writes ---------------------------------------------------------------

export async function get(store, key) {
  const value = await run([store], "readonly", (s) => done(s[store].get(key)));
  return value === undefined ? null : decode(store, value);
}

export async function getAll(store) {
  const values = await run([store], "readonly", (s) => done(s[store].getAll()));
  return values.map((v) => decode(store, v));
}

export async function getAllByIndex(store, index, value) {
  const values = await run([store], "readonly", (s) =>
    done(s[store].index(index).getAll(IDBKeyRange.only(value))),
  );
  return values.map((v) => decode(store, v));
}

export async function put(store, value) {
  await run([store], "readwrite", (s) => done(s[store].put(encode(store, value))));
}

export async function count(store) {
  return run([store], "readonly", (s) => done(s[store].count()));
}

// Meta: small facts about the session and the last pull --------------------------------

export async function getMeta(key) {
  const row = await get("meta", key);
  return row ? row.value : null;
}

export async function setMeta(values) {
  await run(["meta"], "readwrite", async (s) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === null || value === undefined) await done(s.meta.delete(key));
      else await done(s.meta.put(encode("meta", { key, value })));
    }
  });
}

// The outbox ----------------------------------------------------------------------------

export async function outboxEntries() {
  return getAll("outbox"); // in seq order: the key order
}

export async function outboxEntry(seq) {
  return get("outbox", seq);
}

/** Adds a record, or replaces the body of the waiting entry with the same record id (a fix
 * or a second edit before sending). `busySeq` is the entry being sent right now: it is never
 * changed, the edit gets an entry of its own behind it. Written durably ("strict"). */
export async function outboxAdd(entry, busySeq = null) {
  return run(
    ["outbox"],
    "readwrite",
    async (s) => {
      const existing = (await done(s.outbox.index("id").getAll(IDBKeyRange.only(entry.id))))
        .map((e) => decode("outbox", e))
        .filter((e) => e.seq !== busySeq);
      if (existing.length) {
        const target = existing[existing.length - 1];
        const replaced = { ...target, ...entry, seq: target.seq, created_at: target.created_at };
        await done(s.outbox.put(encode("outbox", replaced)));
        return target.seq;
      }
      const { seq, ...fresh } = entry; // a new entry gets the next seq
      return done(s.outbox.add(encode("outbox", fresh)));
    },
    "strict",
  );
}

export async function outboxUpdate(seq, changes) {
  await run(
    ["outbox"],
    "readwrite",
    async (s) => {
      const current = await done(s.outbox.get(seq));
      if (current) await done(s.outbox.put(encode("outbox", { ...decode("outbox", current), ...changes })));
    },
    "strict",
  );
}

/** The server confirmed entry `seq`: drop it and keep the server's representation, in one
 * transaction, unless a newer edit of the same record is still waiting. */
export async function outboxConfirm(seq, store, stored) {
  await run(
    ["outbox", store],
    "readwrite",
    async (s) => {
      const entry = await done(s.outbox.get(seq));
      if (!entry) return;
      await done(s.outbox.delete(seq));
      const newer = await done(s.outbox.index("id").count(IDBKeyRange.only(entry.id)));
      if (!newer && stored) await done(s[store].put(encode(store, stored)));
    },
    "strict",
  );
}

export async function outboxDiscard(seq) {
  await run(["outbox"], "readwrite", (s) => done(s.outbox.delete(seq)), "strict");
}

async function pendingIds(outbox) {
  return new Set((await done(outbox.getAll())).map((e) => decode("outbox", e).id));
}

// Drafts of forms -----------------------------------------------------------------------

export async function draft(key) {
  return get(DRAFTS, key);
}

export async function drafts() {
  return getAll(DRAFTS);
}

export async function saveDraft(value) {
  await run([DRAFTS], "readwrite", (s) => done(s[DRAFTS].put(encode(DRAFTS, value))), "strict");
}

export async function deleteDraft(key) {
  await run([DRAFTS], "readwrite", (s) => done(s[DRAFTS].delete(key)), "strict");
}

// Pulls and wipes -----------------------------------------------------------------------

/** Stores one page of a pull in one transaction: records, removals and the new cursor.
 * A record with an entry in the outbox keeps its local (newer) version. */
export async function applyPull({ puts = {}, removals = {}, meta = {} }) {
  const names = ["outbox", "meta", ...Object.keys(puts), ...Object.keys(removals)];
  await run([...new Set(names)], "readwrite", async (s) => {
    const pending = await pendingIds(s.outbox);
    for (const [store, values] of Object.entries(puts)) {
      for (const value of values) {
        if (!pending.has(value.id)) await done(s[store].put(encode(store, value)));
      }
    }
    for (const [store, keys] of Object.entries(removals)) {
      for (const key of keys) if (!pending.has(key)) await done(s[store].delete(key));
    }
    for (const [key, value] of Object.entries(meta)) {
      await done(s.meta.put(encode("meta", { key, value })));
    }
  });
}

/** Removes records of `store` for which `old(value)` is true and that wait in no outbox entry. */
export async function prune(store, old) {
  await run(["outbox", store], "readwrite", async (s) => {
    const pending = await pendingIds(s.outbox);
    const values = await done(s[store].getAll());
    for (const raw of values) {
      const value = decode(store, raw);
      if (old(value) && !pending.has(value.id)) await done(s[store].delete(value.id));
    }
  });
}

/** Logout: the phone's copy of clinics, visits, persons and conversations goes, the drafts of
 * forms, the session and the cursor. The outbox stays unless `outbox` is true (an explicit
 * choice). */
export async function wipe({ outbox = false, keepMeta = [] } = {}) {
  await run(
    ALL_STORES,
    "readwrite",
    async (s) => {
      for (const store of DATA_STORES) await done(s[store].clear());
      await done(s[DRAFTS].clear());
      for (const key of SESSION_META) if (!keepMeta.includes(key)) await done(s.meta.delete(key));
      if (outbox) await done(s.outbox.clear());
    },
    "strict",
  );
}
