/* Copy buttons beside secrets shown once (a set-password link, a second-factor secret): the
 * button copies the text of the element its data-copy names and says so; without the clipboard
 * (an insecure origin, an old browser) it selects the text for the person to copy. */
(function () {
  "use strict";

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy") + "-status");
    if (!target) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      function selectIt() {
        var range = document.createRange();
        range.selectNodeContents(target);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        if (status) {
          status.textContent = button.getAttribute("data-selected-text");
        }
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () {
          if (status) {
            status.textContent = button.getAttribute("data-copied-text");
          }
        }, selectIt);
      } else {
        selectIt();
      }
    });
  });
})();
