// db.js — owns the phone's IndexedDB database: its schema, its one upgrade(), every read and
// write, and their encryption at rest (SECURITY.md 22; docs/security.md, "Phone data protection
// (issue 13)"). Nothing else touches IndexedDB or encrypts. Every record of the outbox, the
// local copies and the drafts is sealed with AES-256-GCM under the data key of the nurse
// logged in (encode()/decode()); only its key and the fields its indexes need stay readable.
// The data key is kept only wrapped: under a key derived from her PIN (PBKDF2-SHA-256) and
// under the recovery key the server keeps for this phone. Unwrapped, it lives in this module's
// memory only (never extractable) until lock() drops it.
//
// Rule from idb: never await anything but IndexedDB requests inside an open transaction
// (no fetch, no timers, no Web Crypto), or the transaction commits under our feet: values are
// sealed before a transaction opens and opened after it ends.

const DB_NAME = "outreach-field";
export const SCHEMA_VERSION = 5;

// Local copies of server data: wiped at logout. The outbox is never wiped without a choice.
export const DATA_STORES = [
  "clinics",
  "visits",
  "persons",
  "conversations",
  "route_plans",
  "sms_numbers",
  "sms_contacts",
];
// Half-filled forms (drafts.js): personal data, wiped at logout with the copies above.
const DRAFTS = "drafts";
const ALL_STORES = ["outbox", ...DATA_STORES, DRAFTS, "meta"];
// Meta keys that describe the session and what was pulled; prefs live in localStorage.
// "sms": the templates (with the nurse's name) and the ETag of the numbers to text, which go
// with the stores above: a kept ETag would answer an emptied store with "nothing changed".
const SESSION_META = ["user", "csrf", "cursor", "reference", "last_sync", "sms"];

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
  if (oldVersion < 4 && oldVersion >= 1) {
    // Records of earlier versions are in clear: the first unlock seals them (sealClearData).
    tx.objectStore("meta").put({ key: "clear_data", value: true });
  }
  if (oldVersion < 5) {
    // SMS outreach (sms.js): the numbers to text, by lead id, and the nurse's texts.
    db.createObjectStore("sms_numbers", { keyPath: "id" });
    db.createObjectStore("sms_contacts", { keyPath: "id" });
  }
}

// Encryption at rest ---------------------------------------------------------------------

export const PBKDF2_ITERATIONS = 600000;
export const PIN_FAILURES_ALLOWED = 5;
// The fields of each store that stay readable: keys and indexed fields (ids, no personal
// data), and in the outbox what the replay decides by. Everything else is sealed.
const CLEAR = {
  outbox: [
    "seq",
    "id",
    "kind",
    "method",
    "url",
    "refs",
    "user_id",
    "state",
    "attempts",
    "last_status",
    "created_at",
    "updated_at",
  ],
  clinics: ["id"],
  visits: ["id", "clinic_id"],
  persons: ["id"],
  conversations: ["id", "visit_id"],
  route_plans: ["id"],
  sms_numbers: ["id"],
  sms_contacts: ["id"],
  [DRAFTS]: ["key", "user_id"],
};
// The outbox seals its personal fields one by one, so that outboxUpdate() can change the
// server's message (error) inside its transaction without opening the body.
const SEALED_ONE_BY_ONE = { outbox: ["body", "headers", "error"] };

/** Raised when a record is read or written while no data key is unlocked. */
export class Locked extends Error {}

let unlocked = null; // { userId, key }: the data key of the nurse logged in, unwrapped
// A key waiting for its PIN: { userId, key, raw (its bytes, zeroed once wrapped), wrapping
// (the recovery key's wrapping key, for a new data key; null when only the PIN is new) }.
let pending = null;
// A fresh login whose recovery key opens no copy of the data key (the phone was revoked and
// forgot that copy; the server then gave it a new key): { userId, wrapping }. Her PIN opens
// the data key (unlockWithPin), which is then wrapped under the new key as well.
let rewrapping = null;

const enc = new TextEncoder();
const dec = new TextDecoder();

function isSealed(value) {
  return Boolean(value) && typeof value === "object" && value.$sealed === 1;
}

async function seal(value) {
  if (!unlocked) throw new Locked("locked");
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = enc.encode(JSON.stringify(value === undefined ? null : value));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, unlocked.key, data);
  return { $sealed: 1, k: unlocked.userId, iv, ct };
}

/** The value sealed in `box`, or `undefined` when it is another user's or the key is locked. */
async function unseal(box) {
  if (!unlocked || box.k !== unlocked.userId) return undefined;
  const data = await crypto.subtle.decrypt({ name: "AES-GCM", iv: box.iv }, unlocked.key, box.ct);
  return JSON.parse(dec.decode(data));
}

async function encode(store, value) {
  const clear = CLEAR[store];
  if (!clear) return value; // meta: the session's facts and the wrapped keys, no personal data
  const out = {};
  const rest = {};
  for (const [name, field] of Object.entries(value)) {
    if (clear.includes(name)) out[name] = field;
    else rest[name] = field;
  }
  const separate = SEALED_ONE_BY_ONE[store];
  if (separate) {
    for (const name of separate) out[name] = await seal(rest[name]);
    return out;
  }
  out.sealed = await seal(rest);
  return out;
}

/** The record as the app wrote it; another user's record keeps its readable fields only and
 * says `locked: true`; a record of an earlier version (in clear) reads as it is. */
async function decode(store, value) {
  const separate = SEALED_ONE_BY_ONE[store];
  if (separate) {
    const out = { ...value };
    for (const name of separate) {
      if (!isSealed(value[name])) continue;
      const opened = await unseal(value[name]);
      if (opened === undefined) {
        out[name] = null;
        out.locked = true;
      } else out[name] = opened;
    }
    return out;
  }
  if (!isSealed(value.sealed)) return value;
  const { sealed, ...clear } = value;
  const opened = await unseal(sealed);
  if (opened === undefined) return { ...clear, locked: true };
  return { ...opened, ...clear };
}

async function decodeAll(store, values) {
  const opened = await Promise.all(values.map((value) => decode(store, value)));
  // Local copies of another user's (wiped at her login) are as good as absent.
  return opened.filter((value) => !value.locked || SEALED_ONE_BY_ONE[store]);
}

function unb64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function pinKey(pin, salt, iterations) {
  const base = await crypto.subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["wrapKey", "unwrapKey"],
  );
}

function recoveryWrappingKey(recoveryKey) {
  return crypto.subtle.importKey("raw", unb64(recoveryKey), "AES-GCM", false, ["wrapKey", "unwrapKey"]);
}

async function wrap(key, wrapping) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.wrapKey("raw", key, wrapping, { name: "AES-GCM", iv });
  return { iv, data };
}

function unwrap(wrapped, wrapping, extractable = false) {
  return crypto.subtle.unwrapKey(
    "raw",
    wrapped.data,
    wrapping,
    { name: "AES-GCM", iv: wrapped.iv },
    "AES-GCM",
    extractable,
    ["encrypt", "decrypt"],
  );
}

function usable(raw) {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

async function keyring() {
  return (await getMeta("keyring")) || {};
}

async function keyOf(userId) {
  return (await keyring())[userId] || null;
}

async function saveKey(userId, entry) {
  const ring = await keyring();
  ring[userId] = entry;
  await setMeta({ keyring: ring });
}

/** This phone's own random id: the server keeps its recovery key under it. */
export async function deviceId() {
  let id = await getMeta("device_id");
  if (!id) {
    id = crypto.randomUUID();
    await setMeta({ device_id: id });
  }
  return id;
}

/** Whether `userId` has a data key on this phone (wrapped). */
export async function hasKey(userId) {
  return Boolean(await keyOf(userId));
}

export function isUnlocked(userId = null) {
  return Boolean(unlocked) && (userId === null || unlocked.userId === userId);
}

/** Whether a key waits for its PIN (after a first login, or a login that replaces a PIN). */
export function pinNeeded(userId) {
  return Boolean(pending) && pending.userId === userId;
}

/** Wrong PINs in a row so far; at PIN_FAILURES_ALLOWED only a full login unlocks. */
export async function pinFailures(userId) {
  const entry = await keyOf(userId);
  return entry ? entry.failures || 0 : 0;
}

/** Whether a fresh login waits for the PIN to open the data key (see `rewrapping`). */
export function rewrapNeeded(userId) {
  return Boolean(rewrapping) && rewrapping.userId === userId;
}

/** Drops the unwrapped key (the lock): nothing sealed can be read until the next unlock. */
export function lock() {
  unlocked = null;
  pending = null;
  rewrapping = null;
}

/** After a fresh, full login with the server's recovery key for this phone: a first login
 * makes the nurse's data key; a later one unwraps hers. `reset` (after a forgotten PIN, or too
 * many wrong ones): the key waits for a new PIN (pinNeeded) before anything is read. A phone
 * that was revoked has no copy under the key (forgetDevice): "pin_to_open", her PIN opens the
 * data key (unlockWithPin), and each full login allows PIN_FAILURES_ALLOWED tries. */
export async function unlockWithRecovery(userId, recoveryKey, { reset = false } = {}) {
  const entry = await keyOf(userId);
  const wrapping = await recoveryWrappingKey(recoveryKey);
  rewrapping = null;
  const newPin = Boolean(entry) && (reset || (entry.failures || 0) >= PIN_FAILURES_ALLOWED);
  let opened = null;
  if (entry && entry.recovery) {
    opened = await unwrap(entry.recovery, wrapping, newPin).catch(() => null);
  }
  if (entry && !opened) {
    if (entry.failures) await saveKey(userId, { ...entry, failures: 0 });
    rewrapping = { userId, wrapping };
    unlocked = null;
    pending = null;
    return "pin_to_open";
  }
  if (!entry) {
    const made = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, [
      "encrypt",
      "decrypt",
    ]);
    const raw = await crypto.subtle.exportKey("raw", made);
    pending = { userId, key: await usable(raw), raw, wrapping };
    unlocked = null;
    return "pin_needed";
  }
  if (newPin) {
    const raw = await crypto.subtle.exportKey("raw", opened);
    pending = { userId, key: await usable(raw), raw, wrapping: null };
    unlocked = null;
    return "pin_needed";
  }
  unlocked = { userId, key: opened };
  pending = null;
  return "unlocked";
}

/** Sets the PIN of the key waiting for one (pinNeeded): wraps it under the PIN (and, for a new
 * key, under the recovery key), unlocks, and seals what an earlier version kept in clear. */
export async function setPin(userId, pin) {
  if (!pinNeeded(userId)) throw new Locked("no key waits for a PIN");
  const { key, raw, wrapping } = pending;
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const entry = (await keyOf(userId)) || {};
  const next = {
    ...entry,
    salt,
    iterations: PBKDF2_ITERATIONS,
    pin: await wrap(await importExtractable(raw), await pinKey(pin, salt, PBKDF2_ITERATIONS)),
    failures: 0,
  };
  if (wrapping) next.recovery = await wrap(await importExtractable(raw), wrapping);
  await saveKey(userId, next);
  new Uint8Array(raw).fill(0);
  unlocked = { userId, key };
  pending = null;
  await sealClearData();
}

function importExtractable(raw) {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", true, ["encrypt", "decrypt"]);
}

/** Unlocks with the PIN: "unlocked", "wrong" (counted) or "blocked" (too many wrong in a row:
 * a full login is needed). */
export async function unlockWithPin(userId, pin) {
  const entry = await keyOf(userId);
  if (!entry || !entry.pin) return "blocked";
  if ((entry.failures || 0) >= PIN_FAILURES_ALLOWED) return "blocked";
  const rewrap = rewrapNeeded(userId) ? rewrapping.wrapping : null;
  let key;
  try {
    key = await unwrap(entry.pin, await pinKey(pin, entry.salt, entry.iterations), Boolean(rewrap));
  } catch {
    const failures = (entry.failures || 0) + 1;
    await saveKey(userId, { ...entry, failures });
    return failures >= PIN_FAILURES_ALLOWED ? "blocked" : "wrong";
  }
  if (rewrap) {
    // The copy under the phone's new recovery key: a forgotten PIN loses nothing again.
    await saveKey(userId, { ...entry, failures: 0, recovery: await wrap(key, rewrap) });
    const raw = await crypto.subtle.exportKey("raw", key);
    key = await usable(raw);
    new Uint8Array(raw).fill(0);
    rewrapping = null;
  } else if (entry.failures) await saveKey(userId, { ...entry, failures: 0 });
  unlocked = { userId, key };
  pending = null;
  await sealClearData();
  return "unlocked";
}

/** A new PIN for the unlocked key, given the current one: false when that is wrong. */
export async function changePin(userId, currentPin, newPin) {
  const entry = await keyOf(userId);
  if (!entry || !isUnlocked(userId)) return false;
  let key;
  try {
    key = await unwrap(entry.pin, await pinKey(currentPin, entry.salt, entry.iterations), true);
  } catch {
    return false;
  }
  const salt = crypto.getRandomValues(new Uint8Array(16));
  await saveKey(userId, {
    ...entry,
    salt,
    iterations: PBKDF2_ITERATIONS,
    pin: await wrap(key, await pinKey(newPin, salt, PBKDF2_ITERATIONS)),
    failures: 0,
  });
  return true;
}

/** Seals every record an earlier version stored in clear, then drops the clear copies (each
 * record is replaced in place, under its own key, so none is lost or sent twice). Another
 * user's unsent records and drafts wait in clear for her own unlock. */
async function sealClearData() {
  if (!(await getMeta("clear_data"))) return;
  const isClear = (store, v) => (SEALED_ONE_BY_ONE[store] ? !isSealed(v.body) : !isSealed(v.sealed));
  const keyPath = (store) => (store === "outbox" ? "seq" : store === DRAFTS ? "key" : "id");
  let othersLeft = false;
  for (const store of Object.keys(CLEAR)) {
    const values = await run([store], "readonly", (s) => done(s[store].getAll()));
    const mine = [];
    for (const value of values.filter((v) => isClear(store, v))) {
      const owned = store === "outbox" || store === DRAFTS;
      if (owned && value.user_id && value.user_id !== unlocked.userId) othersLeft = true;
      else mine.push(await encode(store, value));
    }
    await run(
      [store],
      "readwrite",
      async (s) => {
        for (const value of mine) {
          // Only over the same record still in clear: nothing written since is overwritten.
          const now = await done(s[store].get(value[keyPath(store)]));
          if (now && isClear(store, now)) await done(s[store].put(value));
        }
      },
      "strict",
    );
  }
  if (!othersLeft) await setMeta({ clear_data: null });
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
  if (value === undefined) return null;
  const opened = await decode(store, value);
  return opened.locked && !SEALED_ONE_BY_ONE[store] ? null : opened;
}

export async function getAll(store) {
  const values = await run([store], "readonly", (s) => done(s[store].getAll()));
  return decodeAll(store, values);
}

export async function getAllByIndex(store, index, value) {
  const values = await run([store], "readonly", (s) =>
    done(s[store].index(index).getAll(IDBKeyRange.only(value))),
  );
  return decodeAll(store, values);
}

export async function put(store, value) {
  const sealed = await encode(store, value);
  await run([store], "readwrite", (s) => done(s[store].put(sealed)));
}

export async function count(store) {
  return run([store], "readonly", (s) => done(s[store].count()));
}

// Meta: small facts about the session and the last pull, and the wrapped keys (in clear:
// nothing personal) ------------------------------------------------------------------------

export async function getMeta(key) {
  const row = await run(["meta"], "readonly", (s) => done(s.meta.get(key)));
  return row ? row.value : null;
}

export async function setMeta(values) {
  await run(["meta"], "readwrite", async (s) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === null || value === undefined) await done(s.meta.delete(key));
      else await done(s.meta.put({ key, value }));
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
 * changed, the edit gets an entry of its own behind it. Written durably ("strict"). Sealed
 * before the transaction: the entry replaced keeps only its seq and created_at (readable). */
export async function outboxAdd(entry, busySeq = null) {
  const { seq: _seq, ...fresh } = await encode("outbox", entry); // a new entry gets the next seq
  return run(
    ["outbox"],
    "readwrite",
    async (s) => {
      const existing = (await done(s.outbox.index("id").getAll(IDBKeyRange.only(entry.id)))).filter(
        (e) => e.seq !== busySeq,
      );
      if (existing.length) {
        const target = existing[existing.length - 1];
        const replaced = { ...target, ...fresh, seq: target.seq, created_at: target.created_at };
        await done(s.outbox.put(replaced));
        return target.seq;
      }
      return done(s.outbox.add(fresh));
    },
    "strict",
  );
}

/** Changes fields of entry `seq`; readable ones as they are, sealed ones (error) sealed. */
export async function outboxUpdate(seq, changes) {
  const sealed = {};
  for (const [name, value] of Object.entries(changes)) {
    sealed[name] = SEALED_ONE_BY_ONE.outbox.includes(name) ? await seal(value) : value;
  }
  await run(
    ["outbox"],
    "readwrite",
    async (s) => {
      const current = await done(s.outbox.get(seq));
      if (current) await done(s.outbox.put({ ...current, ...sealed }));
    },
    "strict",
  );
}

/** The server confirmed entry `seq`: drop it and keep the server's representation, in one
 * transaction, unless a newer edit of the same record is still waiting. */
export async function outboxConfirm(seq, store, stored) {
  const sealed = stored ? await encode(store, stored) : null;
  await run(
    ["outbox", store],
    "readwrite",
    async (s) => {
      const entry = await done(s.outbox.get(seq));
      if (!entry) return;
      await done(s.outbox.delete(seq));
      const newer = await done(s.outbox.index("id").count(IDBKeyRange.only(entry.id)));
      // A revocation meanwhile deleted the copies: this one goes with them.
      if (!newer && sealed && unlocked) await done(s[store].put(sealed));
    },
    "strict",
  );
}

export async function outboxDiscard(seq) {
  await run(["outbox"], "readwrite", (s) => done(s.outbox.delete(seq)), "strict");
}

async function pendingIds(outbox) {
  return new Set((await done(outbox.getAll())).map((e) => e.id)); // ids are readable
}

// Drafts of forms -----------------------------------------------------------------------

export async function draft(key) {
  return get(DRAFTS, key);
}

export async function drafts() {
  return getAll(DRAFTS);
}

export async function saveDraft(value) {
  const sealed = await encode(DRAFTS, value);
  await run([DRAFTS], "readwrite", (s) => done(s[DRAFTS].put(sealed)), "strict");
}

export async function deleteDraft(key) {
  await run([DRAFTS], "readwrite", (s) => done(s[DRAFTS].delete(key)), "strict");
}

// Pulls and wipes -----------------------------------------------------------------------

/** Stores one page of a pull in one transaction: records, removals and the new cursor.
 * A record with an entry in the outbox keeps its local (newer) version. */
export async function applyPull({ puts = {}, removals = {}, meta = {} }) {
  const sealed = {};
  for (const [store, values] of Object.entries(puts)) {
    sealed[store] = await Promise.all(values.map((value) => encode(store, value)));
  }
  const names = ["outbox", "meta", ...Object.keys(puts), ...Object.keys(removals)];
  await run([...new Set(names)], "readwrite", async (s) => {
    // Locked or revoked while the page was sealed: nothing of it is kept, the cursor stays.
    if (!unlocked) throw new Locked("locked");
    const pending = await pendingIds(s.outbox);
    for (const [store, values] of Object.entries(sealed)) {
      for (const value of values) {
        if (!pending.has(value.id)) await done(s[store].put(value));
      }
    }
    for (const [store, keys] of Object.entries(removals)) {
      for (const key of keys) if (!pending.has(key)) await done(s[store].delete(key));
    }
    for (const [key, value] of Object.entries(meta)) {
      await done(s.meta.put({ key, value }));
    }
  });
}

/** Removes records of `store` for which `old(value)` is true and that wait in no outbox entry.
 * Read, opened, then deleted in a second transaction (opening is no IndexedDB request). */
export async function prune(store, old) {
  const values = await getAll(store);
  const gone = values.filter((value) => old(value)).map((value) => value.id);
  if (!gone.length) return;
  await run(["outbox", store], "readwrite", async (s) => {
    const pending = await pendingIds(s.outbox);
    for (const id of gone) if (!pending.has(id)) await done(s[store].delete(id));
  });
}

/** This phone was revoked (the server's 401 said `device_revoked`, DESIGN.md §4): in one
 * transaction, the copies of what the server already has go (clinics, visits, persons,
 * conversations, routes), with the drafts, the session and the cursor, as at a logout; so does
 * the copy of `userId`'s data key wrapped under the phone's recovery key. The outbox stays,
 * sealed: only her PIN opens it, after her next full login (unlockWithRecovery). The phone
 * remembers it was revoked (revokedUser) until then. */
export async function forgetDevice(userId) {
  lock();
  await run(
    ALL_STORES,
    "readwrite",
    async (s) => {
      for (const store of DATA_STORES) await done(s[store].clear());
      await done(s[DRAFTS].clear());
      for (const key of SESSION_META) if (key !== "user") await done(s.meta.delete(key));
      const row = await done(s.meta.get("keyring"));
      const ring = row ? row.value : {};
      if (ring[userId]) {
        const { recovery: _forgotten, ...rest } = ring[userId];
        ring[userId] = rest;
        await done(s.meta.put({ key: "keyring", value: ring }));
      }
      await done(s.meta.put({ key: "revoked", value: userId }));
    },
    "strict",
  );
}

/** The user whose phone was revoked and who has not logged in on it since, or null. */
export function revokedUser() {
  return getMeta("revoked");
}

/** Logout: the phone's copy of clinics, visits, persons and conversations goes, the drafts of
 * forms, the session and the cursor. The outbox stays unless `outbox` is true (an explicit
 * choice); so do the wrapped keys, for the unsent records of the next login. */
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
