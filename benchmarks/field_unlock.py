"""The cost of the phone's encryption (issue 13 item 6; not part of the test run): unlocking
with the PIN (PBKDF2-SHA-256, 600,000 iterations, then unwrapping the data key) and opening
Today afterwards, with 1,000 persons and 200 visits sealed in IndexedDB besides the demo's
clinics, in Debian's Chromium at 390 × 844. Targets: unlock under 1.5 s, Today under 1 s.

As a baseline measured in the same run: reading the same stores whole without opening them
(IndexedDB alone), so that the share of the decryption shows.

    .venv/bin/python benchmarks/field_unlock.py [--runs 5]

Results: docs/performance.md, "## Phone encryption".
"""

import argparse
import statistics
import tempfile
import time

from field_visit import CHROMIUM, CHROMIUM_ARGS, NURSE, PIN, VIEWPORT, serve, set_pin, wait_for

PERSONS = 1000
VISITS = 200

FILL = """async ({ persons, visits }) => {
  const db = await import('/static/field/db.js');
  const clinics = (await db.getAll('clinics')).map((c) => c.id);
  const person = (i) => ({ id: crypto.randomUUID(), alias: `Bench ${i}`, nationality: 'TH',
    birth_year: 1990 + (i % 20), gender: 'woman', languages: ['th'], last_met_at: null,
    clinic_ids: [clinics[i % clinics.length]] });
  const visit = (i) => ({ id: crypto.randomUUID(), clinic_id: clinics[i % clinics.length],
    started_at: new Date(Date.now() - i * 3600000).toISOString(), outcome: 'admitted',
    notes: `Bench note ${i}`, staff: [], supplies: { condoms: 10 } });
  await db.applyPull({ puts: {
    persons: Array.from({ length: persons }, (_, i) => person(i)),
    visits: Array.from({ length: visits }, (_, i) => visit(i)),
  } });
  return [await db.count('persons'), await db.count('visits')];
}"""

UNLOCK = """async (pin) => {
  const db = await import('/static/field/db.js');
  const user = await db.getMeta('user');
  const start = performance.now();
  const outcome = await db.unlockWithPin(user.id, pin);
  return [outcome, performance.now() - start];
}"""

TODAY = """async () => {
  const session = await import('/static/field/session.js');
  const start = performance.now();
  location.replace('#/today');
  session.unlocked();
  while (!document.querySelector('main[data-screen=today] .clinic-row')) {
    await new Promise((ok) => setTimeout(ok, 5));
  }
  return performance.now() - start;
}"""

READS = """async () => {
  const db = await import('/static/field/db.js');
  const raw = async (store) => new Promise((ok) => {
    const r = indexedDB.open('outreach-field');
    r.onsuccess = () => {
      const q = r.result.transaction(store).objectStore(store).getAll();
      q.onsuccess = () => { r.result.close(); ok(q.result.length); };
    };
  });
  let start = performance.now();
  await raw('persons'); await raw('visits');
  const baseline = performance.now() - start;
  start = performance.now();
  await db.getAll('persons'); await db.getAll('visits');
  return [baseline, performance.now() - start];
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from outreach.demo import DEMO_PASSWORD

    server, url = serve()
    unlocks, todays, baselines, opened = [], [], [], []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=VIEWPORT,
            locale="en-GB",
            timezone_id="Europe/Copenhagen",
        )
        context.set_default_timeout(30_000)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{url}/field/")
        page.wait_for_selector("html[data-ready=true]")
        page.fill('input[name="email"]', NURSE)
        page.fill('input[name="password"]', DEMO_PASSWORD)
        page.locator("form.login button[type=submit]").click()
        set_pin(page)
        wait_for(page, "Boolean(await m.getMeta('last_sync'))")
        counts = page.evaluate(FILL, {"persons": PERSONS, "visits": VISITS})
        context.set_offline(True)  # no pull or send competes with the screens measured
        server.shutdown()
        for _ in range(args.runs):
            page.reload()
            page.wait_for_selector("html[data-ready=true]")
            page.wait_for_url("**#/unlock")
            outcome, unlock_ms = page.evaluate(UNLOCK, PIN)
            assert outcome == "unlocked", outcome
            unlocks.append(unlock_ms)
            todays.append(page.evaluate(TODAY))
            baseline, full = page.evaluate(READS)
            baselines.append(baseline)
            opened.append(full)
            time.sleep(0.2)
        context.close()

    def line(name, values):
        return f"{name}: median {statistics.median(values):.0f} ms, worst {max(values):.0f} ms"

    print(f"IndexedDB: {counts[0]} persons, {counts[1]} visits (sealed), {args.runs} runs")
    print(line("unlock (PBKDF2 600,000 + unwrap)", unlocks))
    print(line("Today drawn after the unlock", todays))
    print(line("persons + visits read, not opened (baseline)", baselines))
    print(line("persons + visits read and opened", opened))
    ratio = statistics.median(opened) / max(statistics.median(baselines), 0.1)
    print(f"opening costs {ratio:.1f} × the plain read")
    ok = statistics.median(unlocks) < 1500 and statistics.median(todays) < 1000
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
