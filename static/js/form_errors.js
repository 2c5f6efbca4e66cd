/* Errors where the eye is: after a refused form, the page opens on its error summary (the
 * templates' error_summary macro, or an error flash), focused so a screen reader announces it
 * and a phone scrolls to it. A form whose template has no summary but shows errors beside its
 * fields gets one built at its top, listing each error with a link to its field. */
(function () {
  "use strict";

  var script = document.currentScript;
  var main = document.getElementById("main");
  if (!main) {
    return;
  }

  function fieldLabel(field) {
    var label = field && field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
    if (label) {
      return label.textContent.trim();
    }
    var legend = field && field.closest("fieldset") ? field.closest("fieldset").querySelector("legend") : null;
    return legend ? legend.textContent.trim() : "";
  }

  function buildSummary(form) {
    var summary = document.createElement("div");
    summary.className = "flashes error-summary";
    summary.setAttribute("role", "alert");
    var title = document.createElement("p");
    title.className = "flash flash-error";
    title.textContent = script.getAttribute("data-summary-title");
    summary.appendChild(title);
    var list = document.createElement("ul");
    form.querySelectorAll(".error").forEach(function (error) {
      var holder = error.closest(".field") || error.parentNode;
      var field = holder.querySelector("input:not([type=hidden]), select, textarea");
      var item = document.createElement("li");
      var name = fieldLabel(field);
      if (field && field.id && name) {
        var link = document.createElement("a");
        link.href = "#" + field.id;
        link.textContent = name;
        item.appendChild(link);
        item.appendChild(document.createTextNode(": "));
      }
      item.appendChild(document.createTextNode(error.textContent.trim()));
      list.appendChild(item);
    });
    summary.appendChild(list);
    form.insertBefore(summary, form.firstChild);
    return summary;
  }

  var summary = main.querySelector(".error-summary");
  if (!summary) {
    var error = main.querySelector("form .error");
    if (error) {
      summary = buildSummary(error.closest("form"));
    }
  }
  // The summary lists the fields in error in the order of the page (a form class may declare
  // them in another order), so its first entry is the first field the eye meets.
  function inPageOrder(summary) {
    var items = Array.prototype.slice.call(summary.querySelectorAll("li"));
    var position = function (item) {
      var link = item.querySelector('a[href^="#"]');
      return link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
    };
    var linked = items.filter(position);
    if (linked.length < 2) {
      return;
    }
    var sorted = linked.slice().sort(function (a, b) {
      return position(a).compareDocumentPosition(position(b)) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
    var list = linked[0].parentNode;
    sorted.forEach(function (item) {
      list.appendChild(item);
    });
  }

  if (summary) {
    inPageOrder(summary);
    summary.setAttribute("tabindex", "-1");
    // At the top of the screen, not merely somewhere on it: on a phone the page below the
    // summary is what the eye reads next.
    summary.focus({ preventScroll: true });
    summary.scrollIntoView({ block: "start" });
    // Following a link to "#field" scrolls to it but leaves the focus on the link: put it in
    // the field, ready to type, with its label in sight above it.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest('a[href^="#"]');
      var field = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
      if (!field) {
        return;
      }
      event.preventDefault();
      var holder = field.closest(".field") || field;
      holder.scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }
})();
