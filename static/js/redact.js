// Draw rectangles over a photo; they are sent as fractions of the displayed (upright) image,
// so the server can black them out on the full-size original whatever size it is shown at.
(function () {
  "use strict";
  var stage = document.getElementById("redact-stage");
  var image = document.getElementById("redact-image");
  var form = document.getElementById("redact-form");
  if (!stage || !image || !form) { return; }
  var field = form.querySelector("input[name=rectangles]");
  var count = document.getElementById("redact-count");
  var boxes = [];
  var drawing = null;

  function clamp(v) { return Math.max(0, Math.min(1, v)); }

  function point(event) {
    var rect = image.getBoundingClientRect();
    return { x: clamp((event.clientX - rect.left) / rect.width), y: clamp((event.clientY - rect.top) / rect.height) };
  }

  function place(el, box) {
    el.style.left = (box.x * 100) + "%";
    el.style.top = (box.y * 100) + "%";
    el.style.width = (box.w * 100) + "%";
    el.style.height = (box.h * 100) + "%";
  }

  function sync() {
    field.value = JSON.stringify(boxes.map(function (b) { return [b.x, b.y, b.w, b.h]; }));
    if (count) { count.textContent = boxes.length + (boxes.length === 1 ? " box" : " boxes"); }
  }

  stage.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    var start = point(event);
    var el = document.createElement("div");
    el.className = "redact-box";
    stage.appendChild(el);
    drawing = { start: start, el: el, box: { x: start.x, y: start.y, w: 0, h: 0 } };
    stage.setPointerCapture(event.pointerId);
  });

  stage.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var p = point(event);
    var s = drawing.start;
    drawing.box = { x: Math.min(s.x, p.x), y: Math.min(s.y, p.y), w: Math.abs(p.x - s.x), h: Math.abs(p.y - s.y) };
    place(drawing.el, drawing.box);
  });

  function finish() {
    if (!drawing) { return; }
    if (drawing.box.w > 0.002 && drawing.box.h > 0.002) {
      drawing.box.el = drawing.el;
      boxes.push(drawing.box);
    } else {
      drawing.el.remove();
    }
    drawing = null;
    sync();
  }
  stage.addEventListener("pointerup", finish);
  stage.addEventListener("pointercancel", finish);

  document.getElementById("redact-undo").addEventListener("click", function () {
    var last = boxes.pop();
    if (last) { last.el.remove(); }
    sync();
  });
  document.getElementById("redact-clear").addEventListener("click", function () {
    boxes.forEach(function (b) { b.el.remove(); });
    boxes = [];
    sync();
  });
  // With no box drawn the server refuses, and its page says so where the eye is (announced,
  // focused, at the top: static/js/form_errors.js), in the person's language.
  form.addEventListener("submit", sync);
  sync();
}());
