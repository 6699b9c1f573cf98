/* A project's timeline (projects/timeline.html): the vendored frappe-gantt drawn read-only, by week, from the
 * tasks in the page's #gantt-data (an external script: the page's CSP allows no inline code). */
(function () {
  "use strict";
  var box = document.getElementById("gantt-data");
  if (!box || typeof Gantt === "undefined") return;
  var tasks = JSON.parse(box.textContent || "[]");
  if (!tasks.length) return;
  var lang = box.dataset.lang || "en";
  new Gantt("#gantt", tasks, {view_mode: "Week", readonly: true, language: lang, today_button: false,
                              view_mode_select: false});
})();
