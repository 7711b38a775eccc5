// Shifan's page behaviour. No inline scripts anywhere: the Content Security Policy forbids them.
(function () {
  "use strict";

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

  // Forms with data-confirm ask before doing anything irreversible.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.dataset ? form.dataset.confirm : null;
    var submitter = event.submitter;
    if (submitter && submitter.dataset && submitter.dataset.confirm) { message = submitter.dataset.confirm; }
    if (message && !window.confirm(message)) { event.preventDefault(); return; }
    // A second click on a submit-once button does nothing while the first request runs.
    var once = form.querySelector("[data-submit-once]");
    if (once) { setTimeout(function () { once.disabled = true; }, 0); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-county-for]").forEach(narrowCounties);
  });
})();
