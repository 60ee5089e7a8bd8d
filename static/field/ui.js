// ui.js — building DOM from elements, never from HTML strings (text is always text: aliases and notes can hold
// anything), icons, dialogs and short notices. No inline styles: the CSP forbids them.

const SVG_NS = "http://www.w3.org/2000/svg";

/** h("button", {class: "primary", onclick: f}, "Save") */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value") el.value = value;
    else if (key === "checked" || key === "selected" || key === "disabled" || key === "hidden")
      el[key] = Boolean(value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`; null, false and nested arrays are fine. */
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** The one way a screen redraws on events ("data", "outbox"), which can start a redraw again
 * before the last one ended (a pull announces every page): `read` gathers what to show and
 * changes nothing on the page, `show` puts it there. Reads can end out of order, so only the
 * newest read started is shown; an older one ending later is dropped, never shown over it. */
export function redraw(read, show) {
  let newest = 0;
  return async () => {
    const mine = ++newest;
    const data = await read();
    if (mine === newest) show(data);
  };
}

const ICONS = {
  today:
    "M7 2v2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2h-2V2h-2v2H9V2H7zm-2 8h14v10H5V10zm2 2v3h3v-3H7z",
  talk: "M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2zm3 5v2h10V8H7zm0 4v2h7v-2H7z",
  pin: "M12 2a7 7 0 0 0-7 7c0 5 7 13 7 13s7-8 7-13a7 7 0 0 0-7-7zm0 9.5A2.5 2.5 0 1 1 12 6.5a2.5 2.5 0 0 1 0 5z",
  outbox: "M12 3l5 5h-3v6h-4V8H7l5-5zM4 15h4v3h8v-3h4v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1v-5z",
  menu: "M3 6h18v2H3V6zm0 5h18v2H3v-2zm0 5h18v2H3v-2z",
  back: "M15.4 5.4L14 4l-8 8 8 8 1.4-1.4L8.8 12z",
  plus: "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z",
  minus: "M5 11h14v2H5z",
  search:
    "M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z",
  alert: "M12 2L1 21h22L12 2zm-1 7h2v6h-2V9zm0 8h2v2h-2v-2z",
  cloudOff:
    "M3.3 2.3L2 3.6l3 3A6 6 0 0 0 6 18h11.4l3 3 1.3-1.3L3.3 2.3zM19.4 10A7 7 0 0 0 8.6 5.8l10.9 10.9A4 4 0 0 0 19.4 10z",
  check: "M9 16.2l-3.5-3.5L4 14.2l5 5 11-11-1.4-1.5z",
  lock: "M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5zm-3 8V7a3 3 0 0 1 6 0v3H9z",
};

export function icon(name, label = null) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "icon");
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  } else svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name] || ICONS.alert);
  svg.append(path);
  return svg;
}

let noticeTimer = null;

/** A short message in the live region under the header. It takes its own room in the page
 * instead of floating over it, so it never covers a button; after four seconds it fades, and its
 * room goes with the next screen (never under a finger about to tap). */
export function notice(text, kind = "info") {
  const region = document.getElementById("notice");
  if (!region) return;
  clear(region);
  region.className = `notice notice-${kind}`;
  region.append(text);
  region.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => region.classList.add("notice-faded"), 4000);
}

/** A new screen is shown: a faded notice leaves with the old one; a fresh one stays over it. */
export function screenChanged() {
  const region = document.getElementById("notice");
  if (region && region.classList.contains("notice-faded")) {
    region.hidden = true;
    clear(region);
  }
}

/** A modal question; resolves with the value of the chosen button (or null: cancelled). */
export function ask({ title, text, choices }) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "dialog-title" });
    const close = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(null);
    });
    dialog.append(
      h("h2", { id: "dialog-title" }, title),
      ...[].concat(text || []).map((line) => h("p", {}, line)),
      h(
        "div",
        { class: "dialog-actions" },
        choices.map((choice) =>
          h(
            "button",
            { type: "button", class: choice.class || "secondary", onclick: () => close(choice.value) },
            choice.label,
          ),
        ),
      ),
    );
    document.body.append(dialog);
    dialog.showModal();
  });
}
