// The plan form's "Several days": only the days asked for are shown (without JavaScript all
// are, and those beyond "Days" are not used).

const count = document.querySelector('input[name=day_count]');
if (count) {
  const show = () => {
    const days = Number(count.value) || 1;
    document.querySelectorAll('[data-trip-day]').forEach((fieldset) => {
      fieldset.hidden = Number(fieldset.dataset.tripDay) > days;
    });
  };
  count.addEventListener('input', show);
  show();
}
