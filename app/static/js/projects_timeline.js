/* A timeline (projects/timeline.html: one project's, or the team's across projects): the vendored frappe-gantt
 * drawn read-only from the tasks in the page's #gantt-data, at the scale its data-view-mode names (Week by
 * default; an external script: the page's CSP allows no inline code). */
(function () {
  "use strict";
  var box = document.getElementById("gantt-data");
  if (!box || typeof Gantt === "undefined") return;
  var tasks = JSON.parse(box.textContent || "[]");
  if (!tasks.length) return;
  var lang = box.dataset.lang || "en";
  new Gantt("#gantt", tasks, {view_mode: box.dataset.viewMode || "Week", readonly: true, language: lang, today_button: false,
                              view_mode_select: false});
})();
