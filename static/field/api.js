// api.js — every request to the server: same-origin credentials, JSON, the CSRF token of the
// current session on writes, and a timeout. Answers are classified for the outbox and sync.

import * as db from "./db.js";

const TIMEOUT_MS = 15000;
let csrfToken = null;

/** No answer from our server: offline, timed out, or a captive portal talking instead. */
export class NetworkError extends Error {}

export async function loadToken() {
  csrfToken = await db.getMeta("csrf");
}

export async function setToken(token) {
  csrfToken = token || null;
  await db.setMeta({ csrf: csrfToken });
}

export async function request(method, url, { body, headers = {}, timeout = TIMEOUT_MS } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const sent = { Accept: "application/json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) sent["X-CSRFToken"] = csrfToken;
  try {
    const response = await fetch(url, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
      signal: controller.signal,
    });
    const text = await response.text();
    const json = (response.headers.get("Content-Type") || "").includes("json");
    let data = null;
    if (text && json) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    // An answer that is not our JSON API (a Wi-Fi portal's page, a proxy's refusal) is no
    // answer at all: never count it as delivered, never park a record because of it.
    const bodiless = response.status === 204 || response.status === 304; // 304: If-None-Match
    const foreign = response.status < 500 && !bodiless && data === null;
    if (foreign) throw new NetworkError(`not an API answer (${response.status})`);
    return { status: response.status, ok: response.ok, data, headers: response.headers };
  } catch (error) {
    if (error instanceof NetworkError) throw error;
    throw new NetworkError(error.name === "AbortError" ? "timeout" : String(error.message || error));
  } finally {
    clearTimeout(timer);
  }
}

/** The server refused the CSRF token: the envelope's `reason` says so (DESIGN.md §4). */
export function isCsrfError(answer) {
  return answer.status === 400 && Boolean(answer.data) && answer.data.reason === "csrf";
}

/** The phone was revoked (a lost phone): the 401's `reason` says so (DESIGN.md §4), and the
 * phone forgets what the server already has (session.requireLogin). */
export function isRevoked(answer) {
  return answer.status === 401 && Boolean(answer.data) && answer.data.reason === "device_revoked";
}

/** "ok" | "auth" (log in again) | "csrf" (fresh token, then again) | "retry" | "refused". */
export function classify(answer) {
  if (answer.ok) return "ok";
  if (answer.status === 401) return "auth";
  if (isCsrfError(answer)) return "csrf";
  if (answer.status === 408 || answer.status === 429 || answer.status >= 500) return "retry";
  return "refused";
}

/** `code`: the second factor, when the server asked for it: six digits from the
 * authenticator app (totp_code), anything else a recovery code. */
export function login(email, password, code = "", deviceId = null) {
  const body = { email, password };
  if (deviceId) body.device_id = deviceId;
  const given = code.replace(/\s+/g, "");
  if (/^\d{6}$/.test(given)) body.totp_code = given;
  else if (given) body.recovery_code = given;
  return request("POST", "/api/v1/auth/login", { body });
}

/** This phone's recovery key: once, just after a login that named the phone (deviceId). */
export function deviceKey(deviceId) {
  return request("POST", "/api/v1/auth/device-key", { body: { device_id: deviceId } });
}

export function me() {
  return request("GET", "/api/v1/auth/me");
}

export function logout() {
  return request("POST", "/api/v1/auth/logout");
}
