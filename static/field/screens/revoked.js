// screens/revoked.js — this phone was revoked (a lost phone; SECURITY.md 23): what the server
// already had is deleted from it (session.deviceRevoked), the records not sent yet are kept,
// locked, and this screen says so, with how many they are and whom to call. Only a new full
// login of the same nurse, then her PIN, opens and sends them; a colleague's login never does.

import * as db from "../db.js";
import { t } from "../i18n.js";
import * as session from "../session.js";
import { h } from "../ui.js";

export async function render() {
  const user = session.current();
  // Only her records count: a colleague's wait for that colleague's login.
  const unsent = user ? (await db.outboxEntries()).filter((e) => e.user_id === user.id).length : 0;
  const node = h(
    "section",
    { class: "screen revoked" },
    h(
      "div",
      { class: "warning", role: "alert" },
      h("p", {}, t("This phone has been revoked for your account.")),
      h("p", {}, t("Maybe it was reported lost. What the server already has is deleted from this phone.")),
    ),
    h(
      "p",
      { class: "info unsent-kept", "data-count": String(unsent) },
      unsent
        ? t(
            "Records not sent yet: %(count)s. They are kept on this phone, locked, and are sent after you log in again and give your PIN.",
            { count: unsent },
          )
        : t("No records were waiting to be sent: nothing is lost."),
    ),
    user && user.team_phone
      ? h(
          "p",
          { class: "lead" },
          t("Call your coordinator or the team if you do not know why:"),
          " ",
          h("a", { href: `tel:${user.team_phone}`, class: "team-phone" }, user.team_phone),
        )
      : h("p", { class: "lead" }, t("Call your coordinator if you do not know why.")),
    h("a", { class: "button primary big", href: "#/login" }, t("Log in again")),
  );
  return { name: "revoked", title: t("Phone revoked"), node, back: null };
}
