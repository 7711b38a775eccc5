// Shifan's page behaviour. No inline scripts anywhere: the Content Security Policy forbids them.
(function () {
  "use strict";

  // The public pages' 适老化 switch: 大字版 (larger type, higher contrast) is a class on <html>,
  // remembered in this browser (localStorage) and never sent to the server, since the public pages
  // are rendered copies shared by everyone. The public layout loads this file in <head> without
  // defer (<script data-text-size>), so the class is set before the page is first painted.
  var root = document.documentElement;
  var textSizeHere = Boolean(document.currentScript && document.currentScript.hasAttribute("data-text-size"));
  var TEXT_SIZE_KEY = "shifan.textSize";
  var LARGE_TEXT = "sf-large-text";
  function rememberedTextSize() {
    try { return window.localStorage.getItem(TEXT_SIZE_KEY); } catch (error) { return null; }
  }
  function applyTextSize(large) {
    root.classList.toggle(LARGE_TEXT, large);
    document.querySelectorAll("[data-text-size-choice]").forEach(function (button) {
      button.setAttribute("aria-pressed", String((button.dataset.textSizeChoice === "large") === large));
    });
  }
  if (textSizeHere) {
    applyTextSize(rememberedTextSize() === "large");
    // Another tab's choice applies here too.
    window.addEventListener("storage", function (event) {
      if (event.key === TEXT_SIZE_KEY || event.key === null) { applyTextSize(rememberedTextSize() === "large"); }
    });
  }
  function textSizeSwitch(button) {
    button.addEventListener("click", function () {
      var large = button.dataset.textSizeChoice === "large";
      applyTextSize(large);
      try {
        if (large) { window.localStorage.setItem(TEXT_SIZE_KEY, "large"); } else { window.localStorage.removeItem(TEXT_SIZE_KEY); }
      } catch (error) { /* storage refused (a private window): the choice lasts for this page only */ }
    });
  }

  // htmx requests carry the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });

  // A county list narrowed to the chosen city (the full grouped list works without script).
  function narrowCounties(select) {
    var city = document.getElementById(select.dataset.countyFor);
    if (!city) { return; }
    var all = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (group) {
      return group.cloneNode(true);
    });
    function apply() {
      var chosenName = city.options[city.selectedIndex] ? city.options[city.selectedIndex].text : "";
      var current = select.value;
      select.querySelectorAll("optgroup").forEach(function (group) { group.remove(); });
      all.forEach(function (group) {
        if (!city.value || group.label === chosenName) { select.appendChild(group.cloneNode(true)); }
      });
      select.value = current;
      if (select.value !== current) { select.value = ""; }
    }
    city.addEventListener("change", apply);
    apply();
  }

  // A score sheet adds up its scores as the expert types, and marks a score out of range.
  function scoreSheet(form) {
    var inputs = form.querySelectorAll("input[data-score]");
    var total = form.querySelector("[data-score-total]");
    function update() {
      var sum = 0;
      inputs.forEach(function (input) {
        var text = input.value.trim();
        var value = Number(text);
        var bad = text !== "" && (isNaN(value) || value < 0 || value > Number(input.dataset.max) || (value * 2) % 1 !== 0);
        input.classList.toggle("is-invalid", bad);
        if (text !== "" && !bad) { sum += value; }
      });
      if (total) { total.textContent = String(Math.round(sum * 100) / 100); }
    }
    inputs.forEach(function (input) { input.addEventListener("input", update); });
    update();
  }

  // A link that acts as a button (role="button": the bar's menus and the expert's batch menu are
  // Bootstrap dropdown toggles written as links) answers Space as a button does; a link only
  // answers Enter, and Space would scroll the page instead (WCAG 2.1.1).
  document.addEventListener("keydown", function (event) {
    var link = event.target;
    if (event.key !== " " || !link.matches || !link.matches('a[role="button"]')) { return; }
    event.preventDefault();
    link.click();
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[type=checkbox][data-required-message]") || !box.checked) { return; }
    box.classList.remove("is-invalid");
    box.removeAttribute("aria-invalid");
    var feedback = box.form && box.form.querySelector('[data-error-for="' + box.name + '"]');
    if (feedback) { feedback.hidden = true; }
  });

  // A file picker shows the chosen file's name beside its button (forms/_file_picker.html).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".sf-file-input")) { return; }
    var shown = input.closest("[data-file-picker]").querySelector("[data-file-name]");
    var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
    shown.textContent = names.length ? names.join("、") : shown.dataset.empty;
  });

  // A print button (the acceptance receipt) opens the browser's print dialog.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) { window.print(); }
  });

  // Forms with data-confirm ask before doing anything irreversible.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.dataset ? form.dataset.confirm : null;
    var submitter = event.submitter;
    if (submitter && submitter.dataset && submitter.dataset.confirm) { message = submitter.dataset.confirm; }
    // A box the action needs ticked is checked before the confirmation is asked, with the reason
    // beside the box: the server refuses it anyway, but only after the person has confirmed.
    var unticked = form.querySelector ? form.querySelector("input[type=checkbox][data-required-message]:not(:checked)") : null;
    if (unticked) {
      event.preventDefault();
      var feedback = form.querySelector('[data-error-for="' + unticked.name + '"]');
      if (feedback) { feedback.textContent = unticked.dataset.requiredMessage; feedback.hidden = false; }
      unticked.classList.add("is-invalid");
      unticked.setAttribute("aria-invalid", "true");
      unticked.focus();
      return;
    }
    // Re-solving the assignment while giving up the officer's manual pairs asks first.
    var drop = form.querySelector("input[name=drop_manual]");
    if (drop && drop.checked && submitter && submitter.dataset.confirmDrop) { message = submitter.dataset.confirmDrop; }
    if (message && !window.confirm(message)) { event.preventDefault(); return; }
    // A second click on a submit-once button does nothing while the first request runs.
    var once = form.querySelector("[data-submit-once]");
    if (once) { setTimeout(function () { once.disabled = true; }, 0); }
  });

  // A score sheet warns before the page is left with changes not saved (or sent and refused);
  // saving or submitting it is not leaving.
  function scoreSheetGuard(form) {
    var dirty = form.dataset.unsaved === "1";
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) { return; }
      event.preventDefault();
      event.returnValue = form.dataset.leaveWarning || "";
    });
  }

  // The objection form shows the person's or the organisation's fields, by the chosen kind.
  function objectionForm(form) {
    var radios = form.querySelectorAll("input[name=kind]");
    function update() {
      var kind = (form.querySelector("input[name=kind]:checked") || {}).value || "person";
      form.querySelectorAll("[data-objector]").forEach(function (block) {
        block.hidden = block.dataset.objector !== kind;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  // "换一张" asks the server for a new CAPTCHA challenge and shows its image.
  function captchaRefresh(button) {
    button.addEventListener("click", function () {
      var box = button.closest("[data-captcha]");
      fetch(button.dataset.captchaRefresh, { headers: { "X-Requested-With": "XMLHttpRequest" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          box.querySelector("[data-captcha-image]").src = data.image_url;
          box.querySelector("input[type=hidden]").value = data.key;
          var input = box.querySelector("input[type=text]");
          input.value = "";
          input.focus();
        });
    });
  }

  // "看不清？改用文字题" (and back to the image) swaps the CAPTCHA's block for the other variant's,
  // taken from that variant's page (a link's href, a button's data-captcha-switch), so that what
  // was typed in the form stays; the focus moves to the answer's input, which a screen reader reads
  // with the question. Without script, or if the request fails, the link opens that page and the
  // button sends the form (the login form, whose e-mail comes back with the other variant).
  function captchaSwitch(control) {
    control.addEventListener("click", function (event) {
      var box = control.closest("[data-captcha]");
      var url = control.getAttribute("href") || control.dataset.captchaSwitch;
      if (!box || !url || control.dataset.captchaFallback || !window.fetch || !window.DOMParser) { return; }
      event.preventDefault();
      fetch(url, { headers: { "X-Requested-With": "XMLHttpRequest" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) {
          var found = new DOMParser().parseFromString(html, "text/html").querySelector("[data-captcha]");
          if (!found) { throw new Error("no CAPTCHA in the page"); }
          var fresh = document.importNode(found, true);
          box.replaceWith(fresh);
          captchaBlock(fresh);
          fresh.querySelector("input[type=text]").focus();
        })
        .catch(function () {
          if (control.form) {
            control.dataset.captchaFallback = "true";
            control.click();
          } else {
            window.location.href = url;
          }
        });
    });
  }

  function captchaBlock(root) {
    root.querySelectorAll("[data-captcha-refresh]").forEach(captchaRefresh);
    root.querySelectorAll("[data-captcha-switch]").forEach(captchaSwitch);
  }

  // Progress bars take their width from data-progress: the CSP forbids inline styles, not the CSSOM.
  function progressWidths(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0)) + "%";
    });
  }
  document.addEventListener("htmx:load", function (event) { progressWidths(event.target); });

  // A table wider than its box scrolls sideways: the box takes the keyboard's focus then, so that
  // the arrow keys scroll it too (WCAG 2.1.1), and leaves the tab order when everything fits.
  function scrollableTables() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) {
        box.tabIndex = 0;
      } else {
        box.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("htmx:load", scrollableTables);
  window.addEventListener("resize", scrollableTables);

  document.addEventListener("DOMContentLoaded", function () {
    progressWidths(document);
    scrollableTables();
    document.querySelectorAll("select[data-county-for]").forEach(narrowCounties);
    document.querySelectorAll("form[data-score-sheet]").forEach(scoreSheet);
    document.querySelectorAll("form[data-score-sheet]").forEach(scoreSheetGuard);
    document.querySelectorAll("form[data-objection-form]").forEach(objectionForm);
    captchaBlock(document);
    if (textSizeHere) {
      document.querySelectorAll("[data-text-size-choice]").forEach(textSizeSwitch);
      applyTextSize(root.classList.contains(LARGE_TEXT));
    }
  });
})();
