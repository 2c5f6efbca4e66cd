// Poll a background job's JSON progress endpoint and show it in the <progress> bar.
(function () {
  "use strict";
  var panel = document.getElementById("job");
  if (!panel) { return; }
  var url = panel.getAttribute("data-progress-url");
  var bar = document.getElementById("job-progress");
  var message = document.getElementById("job-message");
  var download = document.getElementById("job-download");
  var link = document.getElementById("job-download-link");
  var retry = document.getElementById("job-retry");
  var lost = panel.getAttribute("data-lost-message");
  var delay = 1000;

  function show(data) {
    bar.value = data.progress;
    bar.textContent = data.progress + "%";
    message.textContent = data.message || data.state;
    if (retry) { retry.hidden = data.state !== "failed"; }
    if (data.download_url) {
      link.href = data.download_url;
      download.hidden = false;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (!data.finished) { window.setTimeout(poll, delay); }
      })
      .catch(function () {
        message.textContent = lost;
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }
  poll();
}());
