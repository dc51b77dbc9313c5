// A button marked data-disable-once sends its form once: a second tap while the page is on its
// way (a double click, a slow mobile network) is ignored instead of posting the form again.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  if (!button || !button.hasAttribute("data-disable-once")) return;
  if (button.dataset.sent) {
    event.preventDefault();
    return;
  }
  button.dataset.sent = "1";
  button.setAttribute("aria-disabled", "true");
});

// Coming back with the browser's Back button shows the same page from memory: make it usable again.
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) return;
  document.querySelectorAll("[data-disable-once][data-sent]").forEach(function (button) {
    delete button.dataset.sent;
    button.removeAttribute("aria-disabled");
  });
});

// Behaviour is attached here rather than in on* attributes: the Content-Security-Policy runs no
// inline script. A button marked data-print prints the page; a select marked data-autosubmit
// sends its form when changed.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) window.print();
});
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-autosubmit]") && event.target.form) event.target.form.requestSubmit();
});
