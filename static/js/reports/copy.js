// Copy buttons on the report page: each copies the text of the element its data-copy names.
// The buttons stay hidden when scripts do not run; the text can still be selected by hand.

function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copy(button) {
  const source = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector("[role=status]");
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    status.textContent = button.dataset.copied;
  } catch {
    // No clipboard access (an insecure origin, or a refused permission): select it instead.
    selectText(source);
    status.textContent = button.dataset.failed;
  }
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", () => copy(button));
}
