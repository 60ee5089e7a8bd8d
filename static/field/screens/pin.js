// screens/pin.js — the app PIN (SECURITY.md 22): set it after the first login on this phone
// (or after a forgotten one), unlock with it, change it. The data key itself is handled by
// db.js; a PIN of fewer than 6 digits, or an easy one (000000, 123456, 654321, 121212), is
// refused here before any key is touched.

import * as db from "../db.js";
import { errorBox, field, input, showErrors } from "../forms.js";
import { t } from "../i18n.js";
import * as outbox from "../outbox.js";
import * as session from "../session.js";
import { h, notice } from "../ui.js";

export const PIN_MIN_LENGTH = 6;

/** Why `pin` will not do (a message), or null. */
export function pinProblem(pin) {
  if (!/^\d+$/.test(pin) || pin.length < PIN_MIN_LENGTH) {
    return t("The PIN must be at least %(count)s digits, and digits only.", { count: PIN_MIN_LENGTH });
  }
  const digits = [...pin].map(Number);
  const steps = digits.slice(1).map((d, i) => (d - digits[i] + 10) % 10);
  const run = steps.every((s) => s === 1) || steps.every((s) => s === 9); // 123456, 654321, 890123
  let repeats = false; // 000000, 121212, 123123
  for (const period of [1, 2, 3]) {
    if ([...pin].every((c, i) => c === pin[i % period])) repeats = true;
  }
  if (run || repeats) {
    return t("This PIN is too easy to guess (like 000000, 123456 or 654321). Choose another.");
  }
  return null;
}

function pinInput(name, autocomplete = "off") {
  return input(name, {
    type: "password",
    inputmode: "numeric",
    autocomplete,
    pattern: "[0-9]*",
    maxlength: 12,
    required: true,
  });
}

function busy(button, text) {
  button.disabled = true;
  const before = button.textContent;
  button.textContent = text;
  return () => {
    button.disabled = false;
    button.textContent = before;
  };
}

/** #/pin: the first PIN, or a new one after a full login replaced a forgotten one. */
export async function renderSet() {
  const user = session.current();
  const pin = pinInput("pin", "new-password");
  const again = pinInput("pin_again", "new-password");
  const submit = h("button", { type: "submit", class: "primary big" }, t("Save PIN"));
  const form = h(
    "form",
    { class: "form pin-form", novalidate: true },
    h(
      "p",
      { class: "lead" },
      t("Choose a PIN for this phone. It locks the app and protects the data on the phone."),
    ),
    errorBox(),
    field(t("New PIN"), pin, {
      name: "pin",
      hint: t("At least %(count)s digits; not 000000, 123456 or the like.", { count: PIN_MIN_LENGTH }),
    }),
    field(t("The new PIN again"), again, { name: "pin_again" }),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = pinProblem(pin.value);
    if (problem) {
      showErrors(form, problem, { pin: [problem] });
      pin.focus();
      return;
    }
    if (pin.value !== again.value) {
      showErrors(form, t("The two PINs differ."), { pin_again: [t("The two PINs differ.")] });
      again.focus();
      return;
    }
    const done = busy(submit, t("Saving…"));
    try {
      await db.setPin(user.id, pin.value);
    } finally {
      done();
    }
    pin.value = "";
    again.value = "";
    notice(t("PIN saved."), "ok");
    location.replace("#/today");
    session.unlocked();
  });
  return {
    name: "pin",
    title: t("Set a PIN"),
    node: h("section", { class: "screen" }, form),
    back: null,
    focus: () => pin.focus(),
  };
}

/** #/unlock: the PIN unlocks the data; too many wrong ones need a full login. */
export async function renderUnlock() {
  const user = session.current();
  const unsent = await outbox.count();
  const pin = pinInput("pin", "current-password");
  const submit = h("button", { type: "submit", class: "primary big" }, t("Unlock"));
  // After a revocation only the PIN opens the data key (the recovery key's copy is gone): a
  // new login cannot replace a forgotten PIN, and the screen says so instead of offering it.
  const onlyPin = db.rewrapNeeded(user.id);
  const forgot = onlyPin
    ? h(
        "p",
        { class: "muted only-pin" },
        t("Only your PIN opens them now: this phone was revoked. If you have forgotten it, call your coordinator."),
      )
    : h(
        "button",
        {
          type: "button",
          class: "link",
          onclick: () => {
            session.forgetPin();
            location.replace("#/login");
          },
        },
        t("Forgot your PIN? Log in with your password"),
      );
  const form = h(
    "form",
    { class: "form pin-form", novalidate: true },
    h(
      "p",
      { class: "lead" },
      onlyPin
        ? t("Give your PIN to open the records kept on this phone.")
        : t("The app is locked. Give your PIN."),
    ),
    unsent
      ? h(
          "p",
          { class: "info" },
          t("Records waiting on this phone: %(count)s. They are sent after the unlock.", { count: unsent }),
        )
      : null,
    errorBox(),
    field(t("PIN"), pin, { name: "pin" }),
    submit,
    forgot,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!pin.value) {
      showErrors(form, t("Give your PIN."));
      return;
    }
    const done = busy(submit, t("Unlocking…"));
    let outcome;
    try {
      outcome = await db.unlockWithPin(user.id, pin.value);
    } finally {
      done();
    }
    pin.value = "";
    if (outcome === "unlocked") {
      location.replace(session.takeRememberedScreen());
      session.unlocked();
      return;
    }
    if (outcome === "blocked") {
      notice(t("Too many wrong PINs. Log in with your password to unlock."), "warn");
      location.replace("#/login");
      return;
    }
    const left = db.PIN_FAILURES_ALLOWED - (await db.pinFailures(user.id));
    showErrors(form, t("Wrong PIN. Attempts left before a full login is needed: %(count)s", { count: left }));
    pin.focus();
  });
  return {
    name: "unlock",
    title: t("Unlock"),
    node: h("section", { class: "screen" }, form),
    back: null,
    focus: () => pin.focus(),
  };
}

/** #/pin/change: the current PIN, then the new one twice. */
export async function renderChange() {
  const user = session.current();
  const current = pinInput("current_pin", "current-password");
  const pin = pinInput("pin", "new-password");
  const again = pinInput("pin_again", "new-password");
  const submit = h("button", { type: "submit", class: "primary big" }, t("Change PIN"));
  const form = h(
    "form",
    { class: "form pin-form", novalidate: true },
    errorBox(),
    field(t("Current PIN"), current, { name: "current_pin" }),
    field(t("New PIN"), pin, {
      name: "pin",
      hint: t("At least %(count)s digits; not 000000, 123456 or the like.", { count: PIN_MIN_LENGTH }),
    }),
    field(t("The new PIN again"), again, { name: "pin_again" }),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = pinProblem(pin.value);
    if (problem) {
      showErrors(form, problem, { pin: [problem] });
      pin.focus();
      return;
    }
    if (pin.value !== again.value) {
      showErrors(form, t("The two PINs differ."), { pin_again: [t("The two PINs differ.")] });
      again.focus();
      return;
    }
    const done = busy(submit, t("Saving…"));
    let changed;
    try {
      changed = await db.changePin(user.id, current.value, pin.value);
    } finally {
      done();
    }
    if (!changed) {
      showErrors(form, t("The current PIN is wrong."), { current_pin: [t("The current PIN is wrong.")] });
      current.focus();
      return;
    }
    current.value = "";
    pin.value = "";
    again.value = "";
    notice(t("PIN changed."), "ok");
    location.replace("#/menu");
  });
  return {
    name: "pin-change",
    title: t("Change PIN"),
    node: h("section", { class: "screen" }, form),
    back: "#/menu",
    focus: () => current.focus(),
  };
}
