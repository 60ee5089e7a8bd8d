// lock.js — when the app locks itself (SECURITY.md 22): after LOCK_MINUTES without a touch or
// a key, and when it comes back from more than that in the background. session.lock() drops
// the data key; app.js then clears the screen and shows the PIN screen.

import * as session from "./session.js";

// Minutes without use before the app locks; a phone may set its own (a UI preference).
const DEFAULT_MINUTES = 5;
const PREF = "outreach.field.lock_minutes";
const CHECK_MS = 5000;

let lastUse = Date.now();
let hiddenAt = null;

export function lockMinutes() {
  const chosen = Number(localStorage.getItem(PREF));
  return chosen > 0 ? chosen : DEFAULT_MINUTES;
}

function idleTooLong(since) {
  return Date.now() - since > lockMinutes() * 60 * 1000;
}

function lockIfOpen() {
  const user = session.current();
  if (user && session.isOpen()) session.lock({ idle: true });
}

export function start() {
  for (const name of ["pointerdown", "keydown", "touchstart", "wheel"]) {
    window.addEventListener(name, () => (lastUse = Date.now()), { capture: true, passive: true });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") hiddenAt = Date.now();
    else {
      if (hiddenAt !== null && idleTooLong(hiddenAt)) lockIfOpen();
      hiddenAt = null;
      lastUse = Date.now();
    }
  });
  setInterval(() => {
    if (idleTooLong(lastUse)) lockIfOpen();
  }, CHECK_MS);
}
