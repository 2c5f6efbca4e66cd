// Resumable evidence uploads: a small tus 1.0 client (core + creation) for the upload page.
//
// Each file gets a tus upload (POST), then is sent in 8 MiB PATCHes. When the network drops,
// a PATCH stalls for 30 s (tus core recommends that timeout) or the server answers 5xx, 409,
// 423 or 429, the client waits with randomised exponential backoff, asks the server what
// arrived (HEAD, Upload-Offset) and continues from there. Without JavaScript the same form
// posts multipart.
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.Blob || !Blob.prototype.slice) {
    return;
  }
  var endpoint = form.getAttribute("data-tus-endpoint");
  var csrfToken = form.querySelector('input[name="csrf_token"]').value;
  var fileInput = document.getElementById("files");
  var button = document.getElementById("upload-button");
  var progressSection = document.getElementById("upload-progress");
  var list = document.getElementById("upload-list");

  // Messages in the page's language: templates/vault/upload.html puts them, translated, in
  // data-msg-* attributes of the progress section; {name} marks a value filled in here.
  function msg(name, values) {
    var text = progressSection.getAttribute("data-msg-" + name) || name;
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(String(values[key]));
    });
    return text;
  }

  var TUS_VERSION = "1.0.0";
  var CHUNK_SIZE = 8 * 1024 * 1024;
  var STALL_MS = 30000;
  var MAX_ATTEMPTS = 40;
  var BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];

  function base64Utf8(text) {
    var bytes = new TextEncoder().encode(text);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary);
  }

  function captureFacts(file) {
    var facts = {};
    ["captured_at", "location", "captured_by"].forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value.trim()) {
        facts[name] = field.value.trim();
      }
    });
    if (file.lastModified) {
      facts.file_last_modified = new Date(file.lastModified).toISOString();
    }
    return facts;
  }

  // The incident the files are tied to (optional); the server checks it before any byte.
  function incidentLink() {
    var link = {};
    ["incident_id", "shows", "incident_note"].forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value.trim()) {
        link[name] = field.value.trim();
      }
    });
    return link;
  }

  // One HTTP request; resolves with the XHR whatever its status, rejects on network failure
  // or when the upload makes no progress for STALL_MS.
  function send(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      var watchdog = null;
      function arm() {
        clearTimeout(watchdog);
        watchdog = setTimeout(function () {
          xhr.abort();
        }, STALL_MS);
      }
      xhr.open(method, url, true);
      Object.keys(headers).forEach(function (name) {
        xhr.setRequestHeader(name, headers[name]);
      });
      xhr.setRequestHeader("Tus-Resumable", TUS_VERSION);
      xhr.upload.onprogress = function (event) {
        arm();
        if (onProgress) {
          onProgress(event.loaded);
        }
      };
      xhr.onload = function () {
        clearTimeout(watchdog);
        resolve(xhr);
      };
      xhr.onerror = xhr.onabort = xhr.ontimeout = function () {
        clearTimeout(watchdog);
        reject(new Error("network"));
      };
      arm();
      xhr.send(body === undefined ? null : body);
    });
  }

  function errorMessage(xhr) {
    try {
      return JSON.parse(xhr.responseText).error.message;
    } catch (e) {
      return msg("refused", { status: xhr.status });
    }
  }

  // Waits out a backoff delay, cut short when the browser comes back online.
  function backoff(attempt) {
    var base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
    var delay = base / 2 + Math.random() * base / 2;
    return new Promise(function (resolve) {
      var timer = setTimeout(done, delay);
      function done() {
        clearTimeout(timer);
        window.removeEventListener("online", done);
        resolve();
      }
      window.addEventListener("online", done);
    });
  }

  function row(file) {
    var item = document.createElement("li");
    var label = document.createElement("p");
    label.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var status = document.createElement("p");
    status.className = "hint";
    status.textContent = msg("waiting");
    item.appendChild(label);
    item.appendChild(bar);
    item.appendChild(status);
    list.appendChild(item);
    return {
      progress: function (sent) {
        item.setAttribute("data-state", "uploading");
        bar.value = sent;
        var percent = file.size ? Math.floor((100 * sent) / file.size) : 100;
        status.textContent = msg("uploading", { percent: percent });
      },
      // state ("stored", "retrying", "failed") is for styling and tests, whatever the language.
      say: function (text, isError, state) {
        item.setAttribute("data-state", state);
        status.textContent = text;
        status.className = isError ? "error" : "hint";
      },
    };
  }

  function createUpload(file) {
    var metadata =
      "filename " + base64Utf8(file.name) + ",facts " + base64Utf8(JSON.stringify(captureFacts(file))) +
      ",incident " + base64Utf8(JSON.stringify(incidentLink()));
    return send("POST", endpoint, {
      "Upload-Length": String(file.size),
      "Upload-Metadata": metadata,
      "X-CSRFToken": csrfToken,
    }).then(function (xhr) {
      if (xhr.status !== 201) {
        throw new Error(errorMessage(xhr));
      }
      return xhr.getResponseHeader("Location");
    });
  }

  function currentOffset(url) {
    return send("HEAD", url, {}).then(function (xhr) {
      if (xhr.status === 404 || xhr.status === 410) {
        throw new Error(msg("expired"));
      }
      if (xhr.status !== 200 && xhr.status !== 204) {
        throw new Error("retry");
      }
      return parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
    });
  }

  function uploadFile(file, ui) {
    var attempts = 0;
    return createUpload(file).then(function (url) {
      var offset = 0;
      function next() {
        if (offset >= file.size) {
          ui.progress(file.size);
          ui.say(msg("stored"), false, "stored");
          return true;
        }
        var end = Math.min(offset + CHUNK_SIZE, file.size);
        var started = offset;
        return send(
          "PATCH",
          url,
          {
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": String(offset),
            "X-CSRFToken": csrfToken,
          },
          file.slice(offset, end),
          function (loaded) {
            ui.progress(started + loaded);
          }
        ).then(
          function (xhr) {
            if (xhr.status === 204) {
              attempts = 0;
              offset = parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
              return next();
            }
            // 429: the per-person PATCH limit (app/security/rate_limits.py); what arrived is kept.
            var status = xhr.status;
            if (status >= 500 || status === 409 || status === 423 || status === 429) {
              return recover();
            }
            throw new Error(errorMessage(xhr));
          },
          recover
        );
      }
      function recover() {
        attempts += 1;
        if (attempts > MAX_ATTEMPTS) {
          throw new Error(msg("failing"));
        }
        ui.say(msg("retrying", { attempt: attempts }), false, "retrying");
        return backoff(attempts - 1)
          .then(function () {
            return currentOffset(url);
          })
          .then(
            function (serverOffset) {
              offset = serverOffset;
              ui.progress(offset);
              return next();
            },
            function (error) {
              if (error.message === "retry" || error.message === "network") {
                return recover();
              }
              throw error;
            }
          );
      }
      return next();
    });
  }

  form.addEventListener("submit", function (event) {
    var files = Array.prototype.slice.call(fileInput.files);
    if (!files.length) {
      return; // let the browser show its "required" message
    }
    event.preventDefault();
    button.disabled = true;
    progressSection.hidden = false;
    list.textContent = "";
    var failures = 0;
    var chain = Promise.resolve();
    files.forEach(function (file) {
      var ui = row(file);
      chain = chain.then(function () {
        return uploadFile(file, ui).catch(function (error) {
          failures += 1;
          ui.say(error.message === "network" ? msg("failed") : error.message, true, "failed");
        });
      });
    });
    chain.then(function () {
      button.disabled = false;
      if (!failures) {
        form.reset();
      }
    });
  });
})();
