// records.js — the kinds of record the phone makes: where each is sent, what it refers to,
// and what the local stores keep of it while it waits and once the server has confirmed it.

import { N_ } from "./i18n.js";

export const KINDS = {
  clinic: { path: "/api/v1/clinics/", store: "clinics", refs: [], label: N_("Clinic") },
  visit: { path: "/api/v1/visits/", store: "visits", refs: ["clinic_id"], label: N_("Visit") },
  person: { path: "/api/v1/persons/", store: "persons", refs: [], label: N_("Person") },
  conversation: {
    path: "/api/v1/conversations/",
    store: "conversations",
    refs: ["person_id", "visit_id"],
    label: N_("Conversation"),
  },
  // SMS outreach (sms.js, screens/sms.js): a text waits behind the conversation it became.
  sms_contact: {
    path: "/api/v1/sms-contacts/",
    store: "sms_contacts",
    refs: ["conversation_id"],
    label: N_("SMS contact"),
  },
};

export function newId() {
  return crypto.randomUUID();
}

/** Ids of other records a body refers to: it must not be sent before them. */
export function refsOf(kind, body) {
  return KINDS[kind].refs.map((field) => body[field]).filter(Boolean);
}

function personIndexEntry(id, data, existing) {
  return {
    id,
    alias: data.alias,
    nationality: data.nationality || null,
    birth_year: data.birth_year || null,
    gender: data.gender || "unknown",
    languages: data.languages || (existing && existing.languages) || [],
    recent_clinic_ids: (existing && existing.recent_clinic_ids) || data.recent_clinic_ids || [],
    merged_into_id: data.merged_into_id || null,
  };
}

function conversationSummary(id, data) {
  // Only what the lists show: no notes stay on the phone once the server has them.
  return {
    id,
    person_id: data.person_id,
    visit_id: data.visit_id || null,
    channel: data.channel,
    occurred_at: data.occurred_at || null,
    concern_level: data.concern_level || null,
    topics: data.topics || [],
    referral: data.referral || null,
    follow_up_needed: Boolean(data.follow_up_needed),
    kept_at: new Date().toISOString(), // housekeeping only (sync.js prunes old summaries)
  };
}

/** What screens show while the record waits in the outbox. */
export function pendingCopy(kind, id, body, existing) {
  if (kind === "clinic") {
    const base = existing || {};
    return {
      ...base,
      ...body,
      id,
      region: body.region || base.region || null,
      region_source: body.region ? "manual" : base.region_source || null,
      lat: body.lat ?? base.lat ?? null,
      lon: body.lon ?? base.lon ?? null,
      geocode_status: body.lat != null ? "manual" : base.geocode_status || "none",
      pending: true,
    };
  }
  if (kind === "visit") return { ...body, id, staff: (body.staff || []).map(String), pending: true };
  if (kind === "person") return { ...personIndexEntry(id, body, existing), pending: true };
  if (kind === "sms_contact") return { ...body, id, pending: true };
  return { ...conversationSummary(id, body), pending: true };
}

/** What the local stores keep of the server's answer. */
export function confirmedCopy(kind, data, existing) {
  if (kind === "person") return personIndexEntry(data.id, data, existing);
  if (kind === "conversation") return conversationSummary(data.id, data);
  if (kind === "clinic") {
    // The PUT answer has no last visit (it is in the pull only): keep the one the phone knows.
    return { ...data, last_visit_at: data.last_visit_at ?? (existing && existing.last_visit_at) ?? null };
  }
  return data;
}

/** A clinic as the phone would send it back: fields the server derived are left out. */
export function clinicBody(clinic) {
  return {
    name: clinic.name,
    kind: clinic.kind,
    address: clinic.address || null,
    postcode: clinic.postcode || null,
    city: clinic.city || null,
    lat: clinic.geocode_status === "manual" ? (clinic.lat ?? null) : null,
    lon: clinic.geocode_status === "manual" ? (clinic.lon ?? null) : null,
    region: clinic.region_source === "manual" ? clinic.region : null,
    opening_hours: clinic.opening_hours ?? null,
    status: clinic.status || "active",
    source: clinic.source || "field",
    notes: clinic.notes || null,
  };
}

export const VISIT_FIELDS = [
  "clinic_id",
  "started_at",
  "ended_at",
  "outcome",
  "not_admitted_reason",
  "staff",
  "persons_present",
  "supplies",
  "concern_level",
  "indicators",
  "police_informed",
  "police_informed_at",
  "police_note",
  "notes",
];

export function visitBody(visit) {
  return Object.fromEntries(VISIT_FIELDS.map((f) => [f, visit[f] ?? null]));
}
