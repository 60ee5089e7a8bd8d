"""Screens redraw on events that can come faster than IndexedDB answers (a pull announces
every page): of two overlapping redraws, the newer one is shown even when the older one's read
ends last."""

import pytest

pytestmark = pytest.mark.browser

OVERLAPPING_REDRAWS = """await (async () => {
  const shown = [];
  let release;
  const slow = new Promise((resolve) => (release = resolve));
  let reads = 0;
  const draw = m.redraw(
    async () => {
      const read = ++reads;
      if (read === 1) await slow;
      return read;
    },
    (read) => shown.push(read),
  );
  const first = draw();
  await draw();
  release();
  await first;
  return shown;
})()"""


def test_an_older_redraw_that_ends_last_is_never_shown(phone):
    device = phone()
    device.start_app()
    assert device.evaluate_module("ui.js", OVERLAPPING_REDRAWS) == [2]
