// <button data-copy="ID" data-copied="Copied">: copies the value of the field ID (the webhook secret, shown once).
// The button is hidden until this script can copy (a click before it had loaded did nothing); without JavaScript,
// or without clipboard access, the user copies the field by hand.
if (navigator.clipboard) {
  for (const button of document.querySelectorAll("button[data-copy]")) button.hidden = false;
}
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  field.select();
  const done = () => { button.textContent = button.dataset.copied; };
  if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, () => {});
});
