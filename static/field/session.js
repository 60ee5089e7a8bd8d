// session.js — who is logged in on this phone, the CSRF token, "log in again", and logout.
// A session that ends while offline loses nothing: records wait in the outbox for a login.

import * as api from "./api.js";
import * as db from "./db.js";
import { emit } from "./events.js";

let user = null;
let loginNeeded = false;

export async function init() {
  user = await db.getMeta("user");
  await api.loadToken();
}

export function current() {
  return user;
}

export function needsLogin() {
  return loginNeeded;
}

/** The server answered 401: keep everything, ask for a new login. */
export function requireLogin() {
  if (!loginNeeded) {
    loginNeeded = true;
    emit("session");
  }
}

function withoutToken(data) {
  const { csrf_token: _token, ...rest } = data;
  return rest;
}

/** POST /api/v1/auth/login. Resolves with the answer; throws api.NetworkError offline. */
export async function login(email, password, code = "") {
  const answer = await api.login(email, password, code);
  if (!answer.ok || !answer.data || !answer.data.id) return answer;
  const next = withoutToken(answer.data);
  if (user && user.id !== next.id) {
    // Another nurse on this phone: the previous copy of clinics and persons goes (her
    // unsent records stay, and wait for her next login).
    await db.wipe();
  }
  user = next;
  loginNeeded = false;
  await db.setMeta({ user, pending_logout: null });
  await api.setToken(answer.data.csrf_token);
  emit("session");
  return answer;
}

/** GET /me for the user and a fresh CSRF token: "ok" | "auth" | "offline" | "retry". */
export async function refresh() {
  let answer;
  try {
    answer = await api.me();
  } catch (error) {
    if (error instanceof api.NetworkError) return "offline";
    throw error;
  }
  if (answer.status === 401 || (answer.ok && user && answer.data.id !== user.id)) {
    requireLogin(); // no session, or the browser's cookie belongs to someone else now
    return "auth";
  }
  if (!answer.ok || !answer.data) return "retry";
  user = { ...user, ...withoutToken(answer.data) };
  await db.setMeta({ user });
  await api.setToken(answer.data.csrf_token);
  if (loginNeeded) {
    loginNeeded = false;
  }
  emit("session");
  return "ok";
}

async function serverLogout() {
  let answer = await api.logout();
  if (api.isCsrfError(answer)) {
    const fresh = await api.me();
    if (fresh.ok && fresh.data) {
      await api.setToken(fresh.data.csrf_token);
      answer = await api.logout();
    } else if (fresh.status === 401) {
      return true; // the session is already over
    }
  }
  return answer.ok || answer.status === 401;
}

/** Logs out and wipes the phone's copy of clinics, visits and persons. Unsent records stay
 * unless `discardOutbox` is true: an explicit choice made after a warning. Offline, the
 * server session is ended at the next chance (finishPendingLogout). */
export async function logout({ discardOutbox = false } = {}) {
  let ended = false;
  try {
    ended = await serverLogout();
  } catch (error) {
    if (!(error instanceof api.NetworkError)) throw error;
  }
  await db.wipe({ outbox: discardOutbox, keepMeta: ended ? [] : ["csrf"] });
  await db.setMeta({ pending_logout: ended ? null : true });
  if (ended) await api.setToken(null);
  user = null;
  loginNeeded = false;
  emit("session");
  emit("data");
  emit("outbox");
}

export async function finishPendingLogout() {
  if (!(await db.getMeta("pending_logout"))) return;
  try {
    if (await serverLogout()) {
      await db.setMeta({ pending_logout: null });
      await api.setToken(null);
    }
  } catch (error) {
    if (!(error instanceof api.NetworkError)) throw error;
  }
}
