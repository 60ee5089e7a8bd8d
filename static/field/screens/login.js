// screens/login.js — log in (again) with email and password: POST /api/v1/auth/login.
// Unsent records wait through a new login; a different nurse's login keeps them apart.
// An account with a second factor is asked for its code (reason second_factor_required):
// the code field appears and the same login is sent again with it. One that must set up a
// second factor first is sent to the web login in the browser.

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
  // Logged in, but her data is locked and only the password opens it: too many wrong PINs,
  // a forgotten PIN, or a phone an earlier version of the app kept in clear.
  const locked = Boolean(user) && (await session.gate()) === "#/login";
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
  const code = input("totp_code", {
    autocomplete: "one-time-code",
    inputmode: "numeric",
    autocapitalize: "none",
    spellcheck: "false",
    maxlength: 16,
  });
  const codeField = field(t("Code"), code, {
    name: "totp_code",
    hint: t("The six-digit code of your authenticator app, or one of your recovery codes."),
  });
  codeField.hidden = true;
  const submit = h("button", { type: "submit", class: "primary big" }, t("Log in"));
  const form = h(
    "form",
    { class: "form login", novalidate: true },
    h(
      "p",
      { class: "lead" },
      locked
        ? t("Log in with your password to unlock the data on this phone.")
        : user
          ? t("Log in again to send your records.")
          : t("Log in with your work account."),
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
    codeField,
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
    if (!codeField.hidden && !code.value.trim()) {
      showErrors(form, t("Give the code from your authenticator app."));
      code.focus();
      return;
    }
    submit.disabled = true;
    try {
      const answer = await session.login(email.value.trim(), password.value, codeField.hidden ? "" : code.value);
      const reason = answer.status === 401 && answer.data ? answer.data.reason : null;
      if (answer.ok) {
        password.value = "";
        code.value = "";
        notice(t("Logged in."), "ok");
        location.replace("#/today");
        outbox.replay().then(() => sync.pull());
        return;
      }
      if (reason === "second_factor_required") {
        codeField.hidden = false;
        showErrors(form, t("Give the code from your authenticator app."));
        code.focus();
      } else if (answer.keyFailed) {
        showErrors(form, t("The data on this phone could not be unlocked. Log in again."));
      } else if (reason === "second_factor_wrong") {
        code.value = "";
        showErrors(form, t("The code is wrong or was used already."));
        code.focus();
      } else if (reason === "second_factor_enrolment_required") {
        showErrors(
          form,
          t("Your account needs a second factor. Set it up in a browser first: log in at the web address of Outreach."),
        );
        form
          .querySelector(".form-errors")
          .append(h("p", {}, h("a", { href: "/login", class: "button" }, t("Log in in the browser"))));
      } else if (reason === "account_deactivated")
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
    back: user && !session.needsLogin() && !locked ? "#/today" : null,
    focus: () => (email.value ? password : email).focus(),
  };
}
