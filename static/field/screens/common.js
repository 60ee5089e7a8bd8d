// screens/common.js — labels for the binding code lists and small pieces several screens show.

import { N_, humanize, t } from "../i18n.js";
import { h } from "../ui.js";

export const KIND_LABELS = {
  massage_clinic: N_("Massage clinic"),
  apartment: N_("Apartment"),
  mobile_home: N_("Mobile home"),
  motel: N_("Motel"),
  street: N_("Street"),
  other: N_("Other"),
};
export const OUTCOME_LABELS = { admitted: N_("Admitted"), not_admitted: N_("Not admitted") };
export const REASON_LABELS = {
  no_answer: N_("No answer"),
  refused: N_("Refused"),
  closed: N_("Closed"),
  moved: N_("Moved"),
  other: N_("Other reason"),
};
export const CONCERN_LABELS = { green: N_("Green"), yellow: N_("Yellow"), red: N_("Red") };
export const CHANNEL_LABELS = {
  visit: N_("In a visit"),
  phone: N_("Phone"),
  sms: N_("SMS"),
  drop_in: N_("Drop-in"),
  other: N_("Other"),
};
export const TOPIC_LABELS = {
  health_advice: N_("Health advice"),
  sti_test_offered: N_("STI test offered"),
  sti_test_taken: N_("STI test taken"),
  rights_information: N_("Information about rights"),
  referral_identification: N_("Referral to identification"),
  shelter: N_("Shelter"),
  health_care: N_("Health care"),
};
export const REFERRAL_LABELS = {
  identification_interview: N_("Identification interview"),
  health_care: N_("Health care"),
  shelter: N_("Shelter"),
  other: N_("Other"),
};
export const GENDER_LABELS = {
  woman: N_("Woman"),
  trans_woman: N_("Trans woman"),
  man: N_("Man"),
  trans_man: N_("Trans man"),
  non_binary: N_("Non-binary"),
  unknown: N_("Not known"),
};
export const STATUS_LABELS = { active: N_("Active"), closed: N_("Closed"), unknown: N_("Unknown") };
export const WEEKDAY_LABELS = {
  mon: N_("Monday"),
  tue: N_("Tuesday"),
  wed: N_("Wednesday"),
  thu: N_("Thursday"),
  fri: N_("Friday"),
  sat: N_("Saturday"),
  sun: N_("Sunday"),
};
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

// Countries and languages most often met, first in the pickers.
export const COMMON_COUNTRIES = [
  "TH",
  "RO",
  "NG",
  "CN",
  "VN",
  "BG",
  "HU",
  "ES",
  "BR",
  "DO",
  "CO",
  "UA",
  "PH",
  "DK",
];
export const COMMON_LANGUAGES = [
  "th",
  "ro",
  "en",
  "es",
  "zh",
  "vi",
  "bg",
  "hu",
  "pt",
  "ru",
  "uk",
  "tl",
  "da",
];

export function label(table, code) {
  if (!code) return "–";
  return table[code] ? t(table[code]) : humanize(code);
}

export function concernBadge(level) {
  if (!level) return null;
  return h("span", { class: `badge concern concern-${level}` }, label(CONCERN_LABELS, level));
}

export function pendingBadge(record) {
  return record && record.pending ? h("span", { class: "badge pending" }, t("Not sent yet")) : null;
}

export function empty(text) {
  return h("p", { class: "empty" }, text);
}

export function definition(items) {
  return h(
    "dl",
    { class: "facts" },
    items
      .filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))),
  );
}

/** The label of an organisation code (supplies, indicators): the organisation's own label
 * when the pull carries one, else the code made readable. */
export function codeLabel(ref, kind, code) {
  const labels = (ref && ref[kind === "supplies" ? "supply_labels" : "indicator_labels"]) || {};
  return labels[code] || humanize(code);
}

/** The reference lists of the last pull (supplies, indicators, ...). */
export async function reference(db) {
  return (await db.getMeta("reference")) || {};
}
