// A button marked data-disable-once sends its form once: a second tap while the page is on its
// way (a double click, a slow mobile network) is ignored instead of posting the form again.
document.addEventListener("submit", function (event) {
  var form = event.target;
  // Photos still being made smaller on the phone: send the form once they are ready.
  if (form.querySelector && Array.prototype.some.call(form.elements, function (el) { return el.dataset && el.dataset.resizing; })) {
    event.preventDefault();
    form.dataset.sendWhenReady = "1";
    pendingSubmitter = event.submitter || null;
    return;
  }
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
// No drop-down sends its form when changed (WCAG 3.2.2): every form has its own button.

// The error summary at the top of a form gets the focus, so a screen reader reads it and a long
// form never reloads with its only error out of sight; each of its links moves to its field.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.scrollIntoView({block: "start"});
  }
  document.querySelectorAll("[data-countdown]").forEach(startCountdown);
});
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-error-summary] a[href^='#']");
  if (!link) return;
  var target = document.getElementById(link.getAttribute("href").slice(1));
  if (!target) return;
  event.preventDefault();
  var field = target.closest(".field") || target;
  field.scrollIntoView({block: "start"});
  target.focus({preventScroll: true});
});

// A countdown (data-countdown="seconds") shows how long until something may be done again; the
// elements marked data-countdown-after appear (and those marked data-countdown-during go) at zero.
// The server refuses early requests on its own: this only tells the person when.
function startCountdown(counter) {
  var left = parseInt(counter.dataset.countdown, 10) || 0;
  var scope = counter.closest("[data-countdown-scope]") || document;
  function tick() {
    counter.textContent = String(left);
    if (left > 0) {
      left -= 1;
      window.setTimeout(tick, 1000);
      return;
    }
    scope.querySelectorAll("[data-countdown-during]").forEach(function (el) { el.hidden = true; });
    scope.querySelectorAll("[data-countdown-after]").forEach(function (el) { el.hidden = false; });
  }
  tick();
}

// Photos chosen in a file field marked data-resize="2000" are made smaller on the phone before they
// are sent (longest side at most that many pixels, JPEG): a 12-megapixel photo becomes a few hundred
// KB, which a courier's mobile data sends in seconds. Anything that cannot be shrunk goes as it is.
var pendingSubmitter = null;
function shrink(file, longest) {
  if (!/^image\/(jpeg|png)$/.test(file.type) || !window.createImageBitmap) return Promise.resolve(file);
  return createImageBitmap(file, {imageOrientation: "from-image"}).then(function (bitmap) {
    var scale = Math.min(1, longest / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size < 1500000) return file;
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) {
      canvas.toBlob(function (blob) {
        if (!blob || blob.size >= file.size) { resolve(file); return; }
        resolve(new File([blob], file.name.replace(/\.[^.]+$/, "") + ".jpg", {type: "image/jpeg"}));
      }, "image/jpeg", 0.85);
    });
  }).catch(function () { return file; });
}
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches("input[type=file][data-resize]") || !window.DataTransfer || !input.files.length) return;
  var longest = parseInt(input.dataset.resize, 10) || 2000;
  input.dataset.resizing = "1";
  Promise.all(Array.prototype.map.call(input.files, function (file) { return shrink(file, longest); }))
    .then(function (files) {
      var ready = new DataTransfer();
      files.forEach(function (file) { ready.items.add(file); });
      input.files = ready.files;
    })
    .finally(function () {
      delete input.dataset.resizing;
      input.dataset.resized = String(input.files.length);
      var form = input.form;
      if (form && form.dataset.sendWhenReady) {
        delete form.dataset.sendWhenReady;
        form.requestSubmit(pendingSubmitter || undefined);
        pendingSubmitter = null;
      }
    });
});

// A wide table scrolls inside its .table-wrap on a phone: the scrolling box can be reached and
// scrolled with the keyboard (WCAG 2.1.1), and is named after its table's heading.
function labelScrollingTables(root) {
  root.querySelectorAll(".table-wrap:not([tabindex])").forEach(function (wrap) {
    wrap.setAttribute("tabindex", "0");
    if (!wrap.hasAttribute("role")) wrap.setAttribute("role", "region");
    if (wrap.hasAttribute("aria-label") || wrap.hasAttribute("aria-labelledby")) return;
    var caption = wrap.querySelector("caption");
    var heading = caption || wrap.closest("section, article, main").querySelector("h2, h1");
    wrap.setAttribute("aria-label", (heading ? heading.textContent.trim() : document.title) || document.title);
  });
  // Tables marked cards-on-phone read as one card per row on a narrow screen: each cell carries
  // its column's heading.
  root.querySelectorAll("table.cards-on-phone").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, index) {
        if (!cell.hasAttribute("data-label") && heads[index]) cell.setAttribute("data-label", heads[index]);
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", function () { labelScrollingTables(document); });
document.addEventListener("htmx:afterSwap", function (event) { labelScrollingTables(event.target.parentNode || document); });
