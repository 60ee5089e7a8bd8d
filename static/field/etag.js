// etag.js — If-Match for clinic edits, so an edit made offline cannot silently undo what a
// coordinator changed meanwhile (closed the clinic, new hours): the server answers 412 and
// the edit waits as "needs attention" instead of overwriting.
//
// The server's ETag is sha256 over Python's json.dumps(representation, sort_keys=True); the
// phone computes the same over its pulled copy, but relies on that only after it has seen the
// server agree once (a GET while online). Online, the server's own ETag is used.

import * as api from "./api.js";
import * as db from "./db.js";

const FLOAT_FIELDS = new Set(["lat", "lon"]);

function pyString(text) {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i); // UTF-16 units: astral characters become two escapes
    const ch = text[i];
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (code < 0x20 || code > 0x7e) out += "\\u" + code.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

function compareKeys(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Python's json.dumps(value, sort_keys=True) for JSON-shaped values. */
export function pyJson(value, key = null) {
  if (value === null || value === undefined) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "number") {
    if (FLOAT_FIELDS.has(key) && Number.isInteger(value)) return `${value}.0`;
    return String(value);
  }
  if (typeof value === "string") return pyString(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyJson(v)).join(", ")}]`;
  const keys = Object.keys(value).sort(compareKeys);
  return `{${keys.map((k) => `${pyString(k)}: ${pyJson(value[k], k)}`).join(", ")}}`;
}

export async function computeEtag(representation) {
  const bytes = new TextEncoder().encode(pyJson(representation));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `"${hex.slice(0, 32)}"`;
}

/** Reads the clinic from the server now (short timeout): {clinic, etag} or null. */
export async function fetchCurrent(id) {
  try {
    const answer = await api.request("GET", `/api/v1/clinics/${id}`, { timeout: 4000 });
    const etag = answer.headers.get("ETag");
    if (!answer.ok || !answer.data || !etag) return null;
    const agrees = (await computeEtag(answer.data)) === etag;
    await db.setMeta({ etag_verified: agrees });
    return { clinic: answer.data, etag };
  } catch (error) {
    if (error instanceof api.NetworkError) return null;
    throw error;
  }
}

/** The base an edit is made against: the server's current clinic (fetched when the form
 * opened) or, offline, the pulled copy with a computed ETag; or an earlier waiting edit's. */
export async function baseFor(id, entry, fetched) {
  if (fetched) return fetched;
  const local = await db.get("clinics", id);
  if (local && !local.pending && (await db.getMeta("etag_verified"))) {
    return { clinic: local, etag: await computeEtag(local) };
  }
  const earlier = entry && entry.headers && entry.headers["If-Match"];
  return earlier
    ? { clinic: null, etag: earlier }
    : { clinic: local && !local.pending ? local : null, etag: null };
}
