// app.js — starts the field app: the IndexedDB database, the session, the catalogue, the
// service worker, the screen chrome (header with the unsent count, banners, bottom bar), the
// hash router, and the moments when the outbox is replayed and the server is pulled.

import * as db from "./db.js";
import { emit, on } from "./events.js";
import * as i18n from "./i18n.js";
import * as lock from "./lock.js";
import { t } from "./i18n.js";
import * as outbox from "./outbox.js";
import * as session from "./session.js";
import * as sync from "./sync.js";
import { clear, fill, h, icon, notice, redraw, screenChanged } from "./ui.js";
import * as vocabulary from "./vocabulary.js";

import * as clinicScreen from "./screens/clinic.js";
import * as clinicForm from "./screens/clinic-form.js";
import * as conversationForm from "./screens/conversation-form.js";
import * as conversationsScreen from "./screens/conversations.js";
import * as loginScreen from "./screens/login.js";
import * as menuScreen from "./screens/menu.js";
import * as outboxScreen from "./screens/outbox.js";
import * as personForm from "./screens/person-form.js";
import * as pinScreen from "./screens/pin.js";
import * as revokedScreen from "./screens/revoked.js";
import * as smsScreen from "./screens/sms.js";
import * as todayScreen from "./screens/today.js";
import * as visitForm from "./screens/visit-form.js";
import * as visitScreen from "./screens/visit.js";

const ID = "([0-9a-fA-F-]{36})";
const ROUTES = [
  [/^#\/login$/, loginScreen.render],
  [/^#\/unlock$/, pinScreen.renderUnlock],
  [/^#\/pin$/, pinScreen.renderSet],
  [/^#\/pin\/change$/, pinScreen.renderChange],
  [/^#\/revoked$/, revokedScreen.render],
  [/^#\/today$/, todayScreen.render],
  [/^#\/clinics\/new$/, (_, ctx) => clinicForm.render({ mode: "new" }, ctx)],
  [new RegExp(`^#/clinic/${ID}$`), ([id], ctx) => clinicScreen.render({ id }, ctx)],
  [new RegExp(`^#/clinic/${ID}/edit$`), ([id], ctx) => clinicForm.render({ mode: "edit", id }, ctx)],
  [new RegExp(`^#/clinic/${ID}/visit$`), ([id], ctx) => visitForm.render({ clinicId: id }, ctx)],
  [new RegExp(`^#/visit/${ID}$`), ([id], ctx) => visitScreen.render({ id }, ctx)],
  [new RegExp(`^#/visit/${ID}/edit$`), ([id], ctx) => visitForm.render({ id }, ctx)],
  [new RegExp(`^#/visit/${ID}/conversation$`), ([id], ctx) => conversationForm.render({ visitId: id }, ctx)],
  [/^#\/conversations$/, conversationsScreen.render],
  [/^#\/conversations\/new$/, (_, ctx) => conversationForm.render({}, ctx)],
  [new RegExp(`^#/conversation/${ID}/edit$`), ([id], ctx) => conversationForm.render({ id }, ctx)],
  [new RegExp(`^#/person/${ID}/edit$`), ([id], ctx) => personForm.render({ id }, ctx)],
  [/^#\/outbox$/, outboxScreen.render],
  [/^#\/sms$/, smsScreen.render],
  [/^#\/menu$/, menuScreen.render],
];

const NAV = [
  ["#/today", "today", i18n.N_("Today")],
  ["#/conversations", "talk", i18n.N_("Talks")],
  ["#/clinics/new", "pin", i18n.N_("New clinic")],
  ["#/outbox", "outbox", i18n.N_("Outbox")],
  ["#/menu", "menu", i18n.N_("Menu")],
];

const chrome = {};
let leaveScreen = [];
let online = navigator.onLine;

function buildChrome(root) {
  clear(root);
  chrome.back = h("a", { class: "back", href: "#/today", hidden: true }, icon("back", t("Back")));
  chrome.title = h("h1", { id: "screen-title", tabindex: "-1" }, "Outreach");
  chrome.network = h(
    "span",
    { class: "network", role: "status", hidden: true },
    icon("cloudOff", t("Offline")),
  );
  chrome.unsent = h("a", { class: "unsent", href: "#/outbox", "data-count": "0" });
  chrome.lock = h(
    "button",
    { type: "button", class: "lock-button", hidden: true, onclick: () => session.lock() },
    icon("lock", t("Lock the app now")),
  );
  chrome.banners = h("div", { class: "banners" });
  chrome.main = h("main", { id: "main", class: "main" });
  chrome.nav = h(
    "nav",
    { class: "bottom-nav", "aria-label": t("Main") },
    NAV.map(([href, name, label]) =>
      h("a", { href, "data-route": href }, icon(name), h("span", {}, t(label))),
    ),
  );
  root.append(
    h(
      "header",
      { class: "topbar" },
      chrome.back,
      chrome.title,
      h("div", { class: "topbar-end" }, chrome.network, chrome.unsent, chrome.lock),
    ),
    chrome.banners,
    h("div", { id: "notice", class: "notice", role: "status", "aria-live": "polite", hidden: true }),
    chrome.main,
    chrome.nav,
  );
  updateNetwork(online);
}

const updateHeader = redraw(
  () => outbox.describe(),
  (described) => {
    if (chrome.unsent) showHeader(described);
  },
);

function showHeader(described) {
  const n = described.length;
  const attention = described.filter((d) => d.state === "attention").length;
  chrome.unsent.dataset.count = String(n);
  chrome.unsent.classList.toggle("has-attention", attention > 0);
  chrome.unsent.classList.toggle("all-sent", n === 0);
  fill(
    chrome.unsent,
    n === 0 ? icon("check") : icon(attention ? "alert" : "outbox"),
    h("span", { class: "unsent-text" }, n === 0 ? t("All sent") : t("%(count)s unsent", { count: n })),
  );
  // Its visible text is its name (a screen reader says what is shown). Before a login, "all
  // sent" would claim what nobody did; records kept from an earlier login still show.
  chrome.unsent.hidden = !session.current() && n === 0;
  chrome.lock.hidden = !session.isOpen();
  updateBanners(n);
}

function updateBanners(unsent) {
  const banners = [];
  if (session.current() && session.needsLogin() && !session.isRevoked()) {
    banners.push(
      h(
        "div",
        { class: "banner banner-login", role: "alert" },
        h("p", {}, t("Your session has ended. Log in again to send your records; nothing is lost.")),
        h("a", { class: "button primary", href: "#/login" }, t("Log in again")),
      ),
    );
  }
  if (chrome.updateReady) {
    banners.push(
      h(
        "div",
        { class: "banner" },
        h("p", {}, t("A new version of the app is ready.")),
        h("button", { type: "button", class: "secondary", onclick: () => location.reload() }, t("Reload")),
      ),
    );
  }
  fill(chrome.banners, ...banners);
  chrome.banners.dataset.unsent = String(unsent);
}

function updateNetwork(up) {
  online = up;
  if (chrome.network) chrome.network.hidden = up;
}

function markNav(hash) {
  for (const a of chrome.nav.querySelectorAll("a")) {
    const current =
      hash === a.dataset.route || (a.dataset.route === "#/today" && hash.startsWith("#/clinic/"));
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

export function go(hash, { replace = false } = {}) {
  if (replace) location.replace(hash);
  else location.hash = hash;
}

async function route() {
  let hash = location.hash || "#/today";
  // Before anything personal: the login, the PIN to set, or the PIN to unlock with.
  const gate = await session.gate();
  const allowed = ["#/unlock", "#/revoked"].includes(gate) ? [gate, "#/login"] : [gate];
  if (gate && !allowed.includes(hash)) {
    if (gate === "#/unlock") session.rememberScreen(hash);
    location.replace(gate);
    return;
  }
  for (const unsubscribe of leaveScreen) unsubscribe();
  const subscriptions = [];
  leaveScreen = subscriptions;
  const match = ROUTES.map(([pattern, render]) => [pattern.exec(hash), render]).find(([m]) => m);
  if (!match) {
    location.replace("#/today");
    return;
  }
  const [found, render] = match;
  const ctx = {
    on: (name, handler) => subscriptions.push(on(name, handler)),
    go,
  };
  let screen;
  try {
    screen = await render(found.slice(1), ctx);
  } catch (error) {
    console.error(error);
    screen = {
      title: t("Something went wrong"),
      node: h("p", { class: "empty" }, t("This screen could not be shown.")),
      back: "#/today",
    };
  }
  if (hash !== (location.hash || "#/today") || leaveScreen !== subscriptions) {
    // The nurse moved on while this screen was being drawn.
    for (const unsubscribe of subscriptions) unsubscribe();
    return;
  }
  chrome.title.textContent = screen.title;
  document.title = `${screen.title} · Outreach`;
  chrome.back.hidden = !screen.back;
  if (screen.back) chrome.back.setAttribute("href", screen.back);
  chrome.nav.hidden = Boolean(gate);
  markNav(hash);
  screenChanged();
  fill(chrome.main, screen.node);
  chrome.main.dataset.screen = screen.name || "";
  window.scrollTo(0, 0);
  if (screen.focus) screen.focus();
  else chrome.title.focus({ preventScroll: true });
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  const hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (hadController) {
      chrome.updateReady = true;
      updateHeader();
    }
  });
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => console.error(error));
}

async function requestPersistence() {
  if (navigator.storage && navigator.storage.persist) {
    try {
      await navigator.storage.persist();
    } catch {
      // the browser decides; the menu shows the outcome
    }
  }
}

/** Online (again, or at start): end a logout made offline, renew the token, send, pull. */
async function whenOnline() {
  await session.finishPendingLogout();
  if (!session.current()) return;
  const renewed = await session.refresh();
  if (renewed === "offline") {
    updateNetwork(false);
    return;
  }
  updateNetwork(true);
  if (renewed !== "ok") return;
  await outbox.replay();
  await sync.pull();
}

async function main() {
  const root = document.getElementById("app");
  try {
    await db.open();
  } catch {
    await i18n.load(i18n.preferred());
    fill(
      root,
      h("p", { class: "boot" }, t("This browser cannot keep the app's data (IndexedDB is not available).")),
    );
    return;
  }
  await session.init();
  await vocabulary.load();
  const user = session.current();
  await i18n.load(i18n.preferred(user && user.locale));
  buildChrome(root);
  requestPersistence();

  on("outbox", () => updateHeader());
  on("session", () => {
    updateHeader();
    if (!session.current() && location.hash !== "#/login") go("#/login", { replace: true });
  });
  // Unlocked (a PIN given or set): what waited is sent, and the phone pulls.
  on("unlocked", () => whenOnline());
  // Locked: nothing personal stays on screen (the key is gone already); the PIN screen, or
  // the screen of a revoked phone.
  on("locked", ({ idle, revoked }) => {
    for (const dialog of document.querySelectorAll("dialog")) dialog.dispatchEvent(new Event("cancel"));
    for (const unsubscribe of leaveScreen) unsubscribe();
    leaveScreen = [];
    clear(chrome.main);
    if (revoked) {
      if (location.hash === "#/revoked") route();
      else go("#/revoked", { replace: true });
      return;
    }
    chrome.title.textContent = t("Unlock");
    const hash = location.hash || "#/today";
    if (!["#/unlock", "#/login", "#/pin", "#/revoked"].includes(hash)) session.rememberScreen(hash);
    go("#/unlock", { replace: true });
    if (idle) notice(t("The app locked itself: it was not used for a while."), "warn");
  });
  on("network", (up) => updateNetwork(up));
  on("language", async () => {
    buildChrome(root);
    await updateHeader();
    await route();
  });
  on("outbox:settled", (result) => {
    if (result.sent || result.refused) sync.pull();
  });
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => whenOnline());
  window.addEventListener("offline", () => updateNetwork(false));
  // A nurse leaves the app open all day: pull now and then, and retry what waits.
  setInterval(
    () => {
      if (session.current() && !session.needsLogin()) {
        sync.pull();
        outbox.replay();
      }
    },
    10 * 60 * 1000,
  );

  await updateHeader();
  await route();
  // After the first screen: installing the worker fetches every file of the app, which
  // must not compete with what that screen needs.
  registerServiceWorker();
  outbox.start();
  lock.start();
  whenOnline();
  emit("ready");
  document.documentElement.dataset.ready = "true";
}

main();
