// Continue stays disabled until both consent boxes are ticked. The server refuses the form
// anyway when a box is missing; this only spares a round trip (and without script, the
// server's answer puts the message next to the box).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("consent");
  var button = document.getElementById("continue");
  if (!form || !button) { return; }
  var boxes = form.querySelectorAll("input[data-consent]");
  function update() {
    var all = true;
    boxes.forEach(function (box) { all = all && box.checked; });
    button.disabled = !all;
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
});
