// events.js — the app's small event bus: modules announce changes, screens listen.
//   "outbox"  the outbox changed (count, states, sending)
//   "data"    local clinics/visits/persons changed (a pull or a confirmed record)
//   "session" logged in or out, or a new login is needed
//   "network" the connection looks up or down
//   "unlocked" the data key is open (a PIN given or set)
//   "locked"  the data key was dropped ({idle}: the app locked itself)

const bus = new EventTarget();

export function on(name, handler) {
  const listener = (event) => handler(event.detail);
  bus.addEventListener(name, listener);
  return () => bus.removeEventListener(name, listener);
}

export function emit(name, detail = null) {
  bus.dispatchEvent(new CustomEvent(name, { detail }));
}
