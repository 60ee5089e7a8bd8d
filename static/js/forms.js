// forms.js — every back-office form that saves (method="post") is sent once: its submit
// buttons are disabled while the request runs, and a second submit meanwhile (a double
// click) is ignored. Loaded by base.html on every page; no inline script (the CSP forbids it).

const SENDING = "sending";
// A request that never answers (the connection dropped) must not leave the form unusable.
const GIVE_UP_MS = 30000;

function submitButtons(form) {
  return [...form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]')].concat(
    form.id ? [...document.querySelectorAll(`[form="${CSS.escape(form.id)}"][type="submit"]`)] : [],
  );
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method !== "post" || event.defaultPrevented) return;
  if (form.dataset.state === SENDING) {
    event.preventDefault();
    return;
  }
  form.dataset.state = SENDING;
  form.setAttribute("aria-busy", "true");
  // Disabled after this event: the form data, with the button that was pressed, is taken now.
  setTimeout(() => {
    for (const button of submitButtons(form)) {
      if (button.disabled) continue; // disabled by the page itself: left as it is
      button.disabled = true;
      button.dataset.sending = "";
    }
  }, 0);
  setTimeout(() => release(form), GIVE_UP_MS);
});

function release(form) {
  if (form.dataset.state !== SENDING) return;
  delete form.dataset.state;
  form.removeAttribute("aria-busy");
  for (const button of submitButtons(form)) {
    if (!("sending" in button.dataset)) continue;
    button.disabled = false;
    delete button.dataset.sending;
  }
}

// Back or Forward can show the page again from the browser's memory (bfcache), as it was when
// it was left: with its buttons disabled. Such a page can be sent again.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll(`form[data-state="${SENDING}"]`)) release(form);
});
