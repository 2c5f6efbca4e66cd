/* Drafts of long writing (app/drafts): every few seconds while the person types, and when a
 * field loses focus, the form's declared fields go to POST /drafts, and the line below the form
 * says when they were last kept. A draft the server kept (after a lost session or an expired
 * form) is put back into the form on load. Nothing is kept in browser storage: testimony must
 * not linger on a phone that could be seized; it is kept on the server, encrypted. */
(function () {
  "use strict";

  var INTERVAL_MS = 4000;
  var KEEPALIVE_LIMIT = 30000; // characters: up to 2 bytes each in UTF-8 for Arabic text

  function elementsNamed(form, name) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.name === name;
    });
  }

  function collect(form, names) {
    var fields = {};
    names.forEach(function (name) {
      var elements = elementsNamed(form, name);
      if (!elements.length) {
        return;
      }
      var many = elements.length > 1 || elements[0].type === "checkbox";
      var values = [];
      elements.forEach(function (element) {
        if (element.type === "checkbox" || element.type === "radio") {
          if (element.checked) {
            values.push(element.value);
          }
        } else if (element.type === "select-multiple") {
          many = true;
          Array.prototype.forEach.call(element.selectedOptions, function (option) {
            values.push(option.value);
          });
        } else {
          values.push(element.value);
        }
      });
      fields[name] = many && elements[0].type !== "radio" ? values : values[0] || "";
    });
    return fields;
  }

  function restore(form, kept) {
    Object.keys(kept).forEach(function (name) {
      var values = [].concat(kept[name]);
      elementsNamed(form, name).forEach(function (element) {
        if (element.type === "checkbox" || element.type === "radio") {
          element.checked = values.indexOf(element.value) !== -1;
        } else if (element.type === "select-multiple") {
          Array.prototype.forEach.call(element.options, function (option) {
            option.selected = values.indexOf(option.value) !== -1;
          });
        } else {
          element.value = values[0] || "";
        }
      });
    });
  }

  function refreshTokens(token) {
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      input.value = token;
    });
  }

  function keepDrafts(status) {
    var form = status.closest("form");
    if (!form) {
      return;
    }
    var box = status.parentNode;
    var names = status.getAttribute("data-draft-fields").split(" ");
    var signIn = box.querySelector(".draft-sign-in");
    var kept = box.querySelector("script.kept-draft");
    if (kept) {
      restore(form, JSON.parse(kept.textContent));
    }
    var lastKept = JSON.stringify(collect(form, names));
    var sending = false;

    function say(message, signedOut) {
      status.textContent = message;
      if (signIn) {
        signIn.hidden = !signedOut;
      }
    }

    function send() {
      var fields = collect(form, names);
      var body = JSON.stringify(fields);
      if (sending || body === lastKept) {
        return;
      }
      sending = true;
      var token = form.querySelector('input[name="csrf_token"]');
      var payload = JSON.stringify({
        action: new URL(form.action, location.href).pathname,
        fields: fields,
      });
      fetch(status.getAttribute("data-draft-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": token ? token.value : "",
        },
        body: payload,
        // Outlives the page when the person leaves it; browsers allow 64 KiB in flight.
        keepalive: payload.length < KEEPALIVE_LIMIT,
      })
        .then(function (response) {
          return response.json().then(function (answer) {
            if (response.ok) {
              lastKept = body;
              refreshTokens(answer.csrf_token);
              say(answer.message, false);
            } else if (response.status === 401) {
              say(status.getAttribute("data-signed-out"), true);
            } else {
              say(answer.error.message, false);
            }
          });
        })
        .catch(function () {
          say(status.getAttribute("data-failed"), false);
        })
        .then(function () {
          sending = false;
        });
    }

    var timer = window.setInterval(send, INTERVAL_MS);
    form.addEventListener("focusout", function (event) {
      var next = event.relatedTarget;
      if (next && next.form === form && next.type === "submit") {
        return; // the form itself is being sent, with this very text
      }
      send();
    });
    form.addEventListener("submit", function () {
      window.clearInterval(timer);
    });
  }

  document.querySelectorAll(".draft-status[data-draft-url]").forEach(keepDrafts);
})();
