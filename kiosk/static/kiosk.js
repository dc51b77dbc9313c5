// The kiosk's touch behaviour: an on-screen numeric keypad, the idle reset, one-tap buttons.
// No framework: htmx (vendored) refreshes the status line and a waiting receipt.
(function () {
  "use strict";
  var body = document.body;

  // --- leaving a task: replace, never push, so Back does not return to it ------------------
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-replace]");
    if (link) { event.preventDefault(); location.replace(link.href); }
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  // A page reached after a form (receipt, result) takes the form's place in history.
  if (history.replaceState) { history.replaceState(null, "", location.href); }

  // --- the numeric keypad: ID numbers (digits and X), mobiles, bank cards, amounts, codes ---
  var keypad = document.getElementById("keypad");
  var target = null;
  function openKeypad(input) {
    target = input;
    keypad.hidden = false;
    var kind = input.getAttribute("data-keypad");
    keypad.querySelector("[data-key=X]").disabled = kind !== "id";
    keypad.querySelector("[data-key=X]").textContent = kind === "money" ? "." : "X";
    input.scrollIntoView({block: "center"});
  }
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-keypad]")) { openKeypad(event.target); }
    else if (event.target.matches && event.target.matches("input, textarea")) { keypad.hidden = true; target = null; }
  });
  keypad.addEventListener("pointerdown", function (event) { event.preventDefault(); });  // keep the focus
  keypad.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !target) return;
    var key = button.getAttribute("data-key");
    var kind = target.getAttribute("data-keypad");
    if (key === "done") { keypad.hidden = true; target.blur(); target = null; return; }
    if (key === "clear") { target.value = ""; }
    else if (key === "⌫") { target.value = target.value.slice(0, -1); }
    else {
      if (key === "X" && kind === "money") key = ".";
      var max = parseInt(target.getAttribute("maxlength") || "40", 10);
      if (target.value.length < max) target.value += key;
    }
    target.dispatchEvent(new Event("input", {bubbles: true}));
  });

  // --- one tap sends a form once ------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.hasAttribute("data-disable-once")) return;
    if (button.dataset.sent) { event.preventDefault(); return; }
    button.dataset.sent = "1";
    button.setAttribute("aria-disabled", "true");
  });

  // --- idle: a warning, then back home with everything cleared ------------------------------
  var warnAfter = parseFloat(body.getAttribute("data-idle-warning")) * 1000;
  var resetAfter = parseFloat(body.getAttribute("data-idle-reset")) * 1000;
  var resetUrl = body.getAttribute("data-reset-url");
  var home = location.pathname === "/" || location.pathname === "";
  var overlay = document.getElementById("idle-warning");
  var seconds = document.getElementById("idle-seconds");
  var lastActivity = Date.now();
  function activity() { lastActivity = Date.now(); overlay.hidden = true; }
  ["pointerdown", "keydown", "input", "touchstart", "wheel", "change"].forEach(function (name) {
    document.addEventListener(name, activity, {capture: true, passive: true});
  });
  document.getElementById("idle-continue").addEventListener("click", activity);
  function resetNow() {
    document.querySelectorAll("form").forEach(function (form) { form.reset(); });
    location.replace(resetUrl);
  }
  setInterval(function () {
    if (home && !document.querySelector("input, textarea")) return;  // nothing personal on the home page
    var idle = Date.now() - lastActivity;
    if (idle >= resetAfter) { resetNow(); return; }
    if (idle >= warnAfter) {
      overlay.hidden = false;
      seconds.textContent = Math.ceil((resetAfter - idle) / 1000);
    }
  }, 250);
})();
