// screens/menu.js — who is logged in, language, updating, storage, changing the app PIN, and
// logging out (which wipes the phone's copy of clinics and persons, but unsent records only by
// explicit choice).

import {
  formatDate,
  formatTime,
  LANGUAGES,
  current as currentLanguage,
  load as loadLanguage,
  t,
} from "../i18n.js";
import * as outbox from "../outbox.js";
import { emit } from "../events.js";
import * as session from "../session.js";
import * as sync from "../sync.js";
import { ask, h, notice } from "../ui.js";
import { definition } from "./common.js";

async function storageState() {
  if (!navigator.storage || !navigator.storage.persisted) return t("Unknown");
  return (await navigator.storage.persisted())
    ? t("Kept: the browser will not clear it")
    : t("Not guaranteed: the browser may clear it when space runs low");
}

async function logout() {
  const unsent = await outbox.count();
  let discardOutbox = false;
  if (unsent) {
    const choice = await ask({
      title: t("Records not sent yet: %(count)s", { count: unsent }),
      text: [
        t("They stay on this phone and are sent after the next login, unless you delete them."),
        t("Deleted records are lost for good."),
      ],
      choices: [
        { value: null, label: t("Cancel"), class: "secondary" },
        { value: "keep", label: t("Log out, keep them"), class: "primary" },
        { value: "delete", label: t("Log out and delete them"), class: "danger" },
      ],
    });
    if (!choice) return;
    if (choice === "delete") {
      const sure = await ask({
        title: t("Delete the unsent records (%(count)s)?", { count: unsent }),
        text: [t("Visits and conversations that never reached the server cannot be recovered.")],
        choices: [
          { value: null, label: t("No, keep them"), class: "secondary" },
          { value: "yes", label: t("Yes, delete them"), class: "danger" },
        ],
      });
      if (sure !== "yes") return;
      discardOutbox = true;
    }
  }
  await session.logout({ discardOutbox });
  notice(t("Logged out. The clinics and persons are removed from this phone."), "ok");
  location.replace("#/login");
}

export async function render() {
  const user = session.current();
  const last = await sync.lastSync();
  const lastLine = h("dd", {}, last ? `${formatDate(last)} ${formatTime(last)}` : t("Not updated yet"));
  const update = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: async () => {
        update.disabled = true;
        await outbox.sendNow();
        const result = await sync.pull();
        update.disabled = false;
        const now = await sync.lastSync();
        if (now) lastLine.textContent = `${formatDate(now)} ${formatTime(now)}`;
        notice(
          result === "ok" ? t("Up to date.") : t("No connection. Showing what is on the phone."),
          result === "ok" ? "ok" : "warn",
        );
      },
    },
    t("Update now"),
  );
  const node = h(
    "section",
    { class: "screen menu" },
    h(
      "div",
      { class: "card" },
      definition([
        [t("Logged in as"), user ? `${user.name || ""} ${user.email ? `(${user.email})` : ""}`.trim() : "–"],
        [t("Organisation"), user ? user.organisation : null],
        [t("Data on this phone"), await storageState()],
      ]),
      h("dl", { class: "facts" }, h("div", {}, h("dt", {}, t("Last update")), lastLine)),
      update,
    ),
    h(
      "div",
      { class: "card" },
      h("h2", {}, t("Language")),
      h(
        "div",
        { class: "lang-choice" },
        Object.entries(LANGUAGES).map(([code, name]) =>
          h(
            "button",
            {
              type: "button",
              class: code === currentLanguage() ? "primary" : "secondary",
              "aria-pressed": String(code === currentLanguage()),
              onclick: async () => {
                await loadLanguage(code, { remember: true });
                emit("language");
              },
            },
            name,
          ),
        ),
      ),
    ),
    h(
      "div",
      { class: "card" },
      h("a", { href: "#/pin/change", class: "button secondary wide" }, t("Change PIN")),
      h("button", { type: "button", class: "danger wide", onclick: logout }, t("Log out")),
    ),
  );
  return { name: "menu", title: t("Menu"), node };
}
