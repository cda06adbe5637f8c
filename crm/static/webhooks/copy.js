// <button data-copy="ID" data-copied="Copied">: copies the value of the field ID (the webhook secret, shown once).
// Without JavaScript, or without clipboard access, the field is selected for the user to copy.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  field.select();
  const done = () => { button.textContent = button.dataset.copied; };
  if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, () => {});
});
