/* Intake forms: show only the date fields the chosen time uncertainty needs, and warn before
 * leaving a form with unsaved typing (a long transcript is hours of work). No data is kept in
 * browser storage: testimony must not linger on a phone that could be seized. */
(function () {
  "use strict";

  var radios = document.querySelectorAll('input[name="time_certainty"]');
  function showCertaintyFields() {
    var checked = document.querySelector('input[name="time_certainty"]:checked');
    var value = checked ? checked.value : "";
    document.querySelectorAll("[data-certainty]").forEach(function (element) {
      element.hidden = element.getAttribute("data-certainty").split(" ").indexOf(value) === -1;
    });
  }
  if (radios.length) {
    radios.forEach(function (radio) {
      radio.addEventListener("change", showCertaintyFields);
    });
    showCertaintyFields();
  }

  var dirty = false;
  document.querySelectorAll("form.intake-form").forEach(function (form) {
    form.addEventListener("input", function () {
      dirty = true;
    });
    form.addEventListener("submit", function () {
      dirty = false;
    });
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
