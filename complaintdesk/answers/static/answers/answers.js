// "Use this text" / "Use this answer": put a template's or an answer's text into the form
// field it is for (and, for a library answer, remember which one was given). A click
// handler on the document, so parts swapped in by htmx work too; no inline script (CSP).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-fill-target]");
  if (!button) return;
  const field = document.getElementById(button.dataset.fillTarget);
  if (!field) return;
  field.value = button.dataset.fillText;
  field.dispatchEvent(new Event("input", { bubbles: true }));
  const used = field.form && field.form.querySelector("input[name=answer_article]");
  if (used && button.dataset.answerId) used.value = button.dataset.answerId;
  const details = field.closest("details");
  if (details) details.open = true;
  field.focus();
});
