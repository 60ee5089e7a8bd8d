// Opening hours in the clinic form, made quicker to fill in. The form works without this:
// it only dims the weekdays while "not known" is ticked and adds a "copy Monday" button.

function init() {
  const editor = document.querySelector("[data-hours-editor]");
  if (!editor) return;
  const unknown = editor.querySelector('input[type="checkbox"]');
  const inputs = [...editor.querySelectorAll("input[data-day]")];
  const byDay = Object.fromEntries(inputs.map((input) => [input.dataset.day, input]));

  function reflectUnknown() {
    // Dimmed, not disabled: disabled inputs are not sent, and what was typed must survive.
    editor.classList.toggle("is-unknown", unknown.checked);
    for (const input of inputs) input.setAttribute("aria-disabled", String(unknown.checked));
  }
  unknown.addEventListener("change", reflectUnknown);
  reflectUnknown();

  const monday = byDay.mon;
  if (!monday) return;
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "hours-copy";
  copy.textContent = editor.dataset.textCopy;
  copy.addEventListener("click", () => {
    for (const day of ["tue", "wed", "thu", "fri"]) byDay[day].value = monday.value;
    byDay.tue.focus();
  });
  monday.closest(".hours-day").after(copy);
}

init();
