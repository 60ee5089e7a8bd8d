// time.js — local wall-clock time for forms and "today", ISO 8601 with offset for the server.

const pad = (n) => String(n).padStart(2, "0");

/** "YYYY-MM-DDTHH:MM" in the phone's time zone, for <input type="datetime-local">. */
export function toLocalInput(value = new Date()) {
  const d = new Date(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "YYYY-MM-DD" of a moment in the phone's time zone. */
export function localDate(value = new Date()) {
  const d = new Date(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A datetime-local value as ISO 8601 with the offset that applied then: "…T14:05:00+01:00". */
export function fromLocalInput(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text || "");
  if (!match) return null;
  const [, y, mo, d, h, mi] = match.map(Number);
  const date = new Date(y, mo - 1, d, h, mi, 0, 0);
  if (Number.isNaN(date.getTime())) return null;
  return isoWithOffset(date);
}

export function isoWithOffset(date = new Date()) {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

export function isToday(value) {
  return Boolean(value) && localDate(value) === localDate();
}

const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export function weekday(value = new Date()) {
  return WEEKDAYS[new Date(value).getDay()];
}

/** true / false from {"mon": [["10:00","22:00"]], ...} at this moment; null when unknown. */
export function openNow(hours, now = new Date()) {
  if (!hours) return null;
  const intervals = hours[weekday(now)] || [];
  const minutes = now.getHours() * 60 + now.getMinutes();
  const toMinutes = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  return intervals.some(([from, to]) => toMinutes(from) <= minutes && minutes < toMinutes(to));
}
