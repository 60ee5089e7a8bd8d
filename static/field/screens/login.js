// screens/login.js — log in (again) with email and password: POST /api/v1/auth/login.
// Unsent records wait through a new login; a different nurse's login keeps them apart.

import * as api from "../api.js";
import { errorBox, field, input, showErrors } from "../forms.js";
import * as i18n from "../i18n.js";
import { t } from "../i18n.js";
import * as outbox from "../outbox.js";
import { emit } from "../events.js";
import * as session from "../session.js";
import * as sync from "../sync.js";
import { h, notice } from "../ui.js";

export async function render() {
  const user = session.current();
  const unsent = await outbox.count();
  const email = input("email", {
    type: "email",
    autocomplete: "username",
    required: true,
    value: (user && user.email) || "",
    inputmode: "email",
    autocapitalize: "none",
    spellcheck: "false",
  });
  const password = input("password", { type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary big" }, t("Log in"));
  const form = h(
    "form",
    { class: "form login", novalidate: true },
    h(
      "p",
      { class: "lead" },
      user ? t("Log in again to send your records.") : t("Log in with your work account."),
    ),
    unsent
      ? h(
          "p",
          { class: "info" },
          t("Records waiting on this phone: %(count)s. They are sent after the login.", { count: unsent }),
        )
      : null,
    errorBox(),
    field(t("Email"), email, { name: "email" }),
    field(t("Password"), password, { name: "password" }),
    submit,
    h(
      "div",
      { class: "lang-choice" },
      Object.entries(i18n.LANGUAGES).map(([code, label]) =>
        h(
          "button",
          {
            type: "button",
            class: "link",
            "aria-pressed": String(code === i18n.current()),
            onclick: async () => {
              await i18n.load(code, { remember: true });
              emit("language");
            },
          },
          label,
        ),
      ),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!email.value.trim() || !password.value) {
      showErrors(form, t("Give your email and password."));
      return;
    }
    submit.disabled = true;
    try {
      const answer = await session.login(email.value.trim(), password.value);
      if (answer.ok) {
        password.value = "";
        notice(t("Logged in."), "ok");
        location.replace("#/today");
        outbox.replay().then(() => sync.pull());
        return;
      }
      if (answer.status === 401 && answer.data && answer.data.reason === "account_deactivated")
        showErrors(form, t("This account is deactivated. Ask an admin of your organisation."));
      else if (answer.status === 401) showErrors(form, t("The email or the password is wrong."));
      else if (answer.status === 429) showErrors(form, t("Too many attempts. Wait a minute and try again."));
      else showErrors(form, t("Logging in failed. Try again."), (answer.data && answer.data.errors) || {});
    } catch (error) {
      if (!(error instanceof api.NetworkError)) throw error;
      showErrors(
        form,
        t("No connection to the server. Logging in needs a connection; your records are safe on this phone."),
      );
    } finally {
      submit.disabled = false;
    }
  });
  return {
    name: "login",
    title: t("Log in"),
    node: h("section", { class: "screen" }, form),
    back: user && !session.needsLogin() ? "#/today" : null,
    focus: () => (email.value ? password : email).focus(),
  };
}
