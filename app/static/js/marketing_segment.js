/* The segment form (marketing_segment_add/edit.html): as the rules are typed, asks the server how many
 * clients they select now (POST /segmentview/count) and shows the figure, or what is wrong with the rules. */
(function () {
  "use strict";
  var area = document.getElementById("rules_text"), out = document.getElementById("segment-count");
  if (!area || !out) { return; }
  var token = document.querySelector("input[name=csrf_token]"), timer = null;
  function show() {
    fetch(area.getAttribute("data-count-url"), {method: "POST", body: area.value || "[]",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        out.textContent = out.getAttribute("data-label") + ": " + (data.errors ? data.errors.join(" ") : data.count);
      });
  }
  area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(show, 400); });
  show();
})();
