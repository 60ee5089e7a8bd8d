// session.js — who is logged in on this phone, the CSRF token, "log in again", and logout;
// and whether her data is unlocked (the data key of db.js): a full login fetches the phone's
// recovery key and unlocks with it, a first one (or one after a forgotten PIN) then asks for a
// PIN, and the PIN unlocks afterwards (gate() says which screen comes first).
// A session that ends while offline loses nothing: records wait in the outbox for a login.

import * as api from "./api.js";
import * as db from "./db.js";
import { emit } from "./events.js";

let user = null;
let loginNeeded = false;
let wanted = null; // the screen asked for while locked
let forgotPin = false; // the nurse chose "Forgot your PIN?": the next login asks for a new one
let revoked = false; // this phone was revoked for `user`: only her new login goes on
let forgetting = null; // the revocation being carried out

export async function init() {
  user = await db.getMeta("user");
  revoked = Boolean(user) && (await db.revokedUser()) === user.id;
  if (revoked) loginNeeded = true;
  await api.loadToken();
}

export function current() {
  return user;
}

export function needsLogin() {
  return loginNeeded;
}

/** The server answered 401 (`answer`): keep everything, ask for a new login; unless the
 * answer says this phone was revoked (deviceRevoked). */
export function requireLogin(answer = null) {
  if (answer && api.isRevoked(answer)) return deviceRevoked();
  if (!loginNeeded) {
    loginNeeded = true;
    emit("session");
  }
  return Promise.resolve();
}

/** Whether this phone was revoked and waits for a new login of its nurse (#/revoked). */
export function isRevoked() {
  return revoked;
}

/** The phone was revoked (a lost phone): what the server already has is deleted from it, and
 * the copy of the data key under its recovery key (db.forgetDevice); the unsent records stay,
 * sealed, and go after her next full login and her PIN. Once, however many answers said so. */
export function deviceRevoked() {
  if (!user || revoked) return Promise.resolve(); // said by a later answer too: done already
  if (!forgetting) {
    forgetting = (async () => {
      await db.forgetDevice(user.id);
      await api.setToken(null);
      revoked = true;
      loginNeeded = true;
      emit("locked", { revoked: true });
      emit("session");
      emit("data");
      emit("outbox");
    })().finally(() => (forgetting = null));
  }
  return forgetting;
}

function withoutToken(data) {
  const { csrf_token: _token, ...rest } = data;
  return rest;
}

/** POST /api/v1/auth/login, then (unless her data is unlocked already) the phone's recovery
 * key, which unlocks it. Resolves with the answer, `keyFailed` when the key could not be had;
 * throws api.NetworkError offline. */
export async function login(email, password, code = "") {
  const deviceId = await db.deviceId();
  const answer = await api.login(email, password, code, deviceId);
  if (!answer.ok || !answer.data || !answer.data.id) return answer;
  const next = withoutToken(answer.data);
  if (user && user.id !== next.id) {
    // Another nurse on this phone: the previous copy of clinics and persons goes (her
    // unsent records stay, sealed under her key, and wait for her next login).
    db.lock();
    await db.wipe();
  }
  user = next;
  loginNeeded = false;
  revoked = false;
  await db.setMeta({ user, pending_logout: null, revoked: null });
  await api.setToken(answer.data.csrf_token);
  if (!db.isUnlocked(user.id) || forgotPin) {
    const key = await api.deviceKey(deviceId);
    if (!key.ok || !key.data || !key.data.recovery_key) {
      emit("session");
      return { ...answer, ok: false, keyFailed: true };
    }
    await db.unlockWithRecovery(user.id, key.data.recovery_key, { reset: forgotPin });
    forgotPin = false;
  }
  emit("session");
  return answer;
}

/** The screen that must come before any other, or null: the login, the PIN to set (after a
 * first login or a forgotten PIN), or the PIN to unlock with. Too many wrong PINs, or a phone
 * whose data an earlier version kept in clear, need a full login. */
export async function gate() {
  if (!user) return "#/login";
  if (revoked) return "#/revoked";
  if (db.pinNeeded(user.id)) return "#/pin";
  if (db.rewrapNeeded(user.id)) return "#/unlock";
  if (db.isUnlocked(user.id)) return null;
  if (forgotPin || !(await db.hasKey(user.id))) return "#/login";
  if ((await db.pinFailures(user.id)) >= db.PIN_FAILURES_ALLOWED) return "#/login";
  return "#/unlock";
}

/** The screen asked for when the app was locked: shown after the unlock. */
export function rememberScreen(hash) {
  wanted = hash;
}

export function takeRememberedScreen() {
  const hash = wanted;
  wanted = null;
  return hash || "#/today";
}

/** "Forgot your PIN?": a full login unlocks with the recovery key and asks for a new PIN. */
export function forgetPin() {
  forgotPin = true;
  emit("session");
}

export function forgettingPin() {
  return forgotPin;
}

/** The PIN set, or the data unlocked with it: the app goes on (app.js listens). */
export function unlocked() {
  emit("session");
  emit("unlocked");
}

/** Whether her data is unlocked now. */
export function isOpen() {
  return Boolean(user) && db.isUnlocked(user.id);
}

/** Drops the data key: the PIN is needed again (`idle`: the app locked itself). */
export function lock({ idle = false } = {}) {
  db.lock();
  emit("locked", { idle });
  emit("session");
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
    // No session, a revoked phone, or the browser's cookie belongs to someone else now.
    await requireLogin(answer.status === 401 ? answer : null);
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
  db.lock();
  user = null;
  loginNeeded = false;
  revoked = false;
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
