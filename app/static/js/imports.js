// Data import pages: a notice while a file is sent; on a run page, the progress of a check or an import
// running in the background (polled from its status URL), then the page again with the preview or result.
document.querySelectorAll('form.fab-import-form, form.fab-import-check').forEach(function (form) {
  form.addEventListener('submit', function () { document.getElementById('fab-import-wait').style.display = 'block'; });
});
(function () {
  var box = document.getElementById('import-progress');
  if (!box) { return; }
  var lang = box.getAttribute('data-locale') || undefined;  // 42 000 / 42.000 / 42,000 as the reader writes it
  var show = function (step, total) {  // one step's bar: checking, then importing
    var bar = document.getElementById('import-bar-' + step.phase);
    var rows = document.getElementById('import-rows-' + step.phase);
    if (!bar || !rows) { return; }
    bar.style.width = Math.max(3, step.percent) + '%';
    bar.setAttribute('aria-valuenow', step.percent);
    bar.textContent = step.percent + ' %';
    rows.textContent = step.done.toLocaleString(lang) + ' ' + rows.getAttribute('data-of') + ' ' +
      total.toLocaleString(lang) + ' ' + rows.getAttribute('data-rows');
  };
  box.querySelectorAll('.import-bar').forEach(function (bar) {
    bar.style.width = Math.max(3, Number(bar.getAttribute('data-width')) || 0) + '%';
  });
  var poll = function () {
    fetch(box.getAttribute('data-url'), {credentials: 'same-origin'}).then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.finished) { window.location.reload(); return; }
        (d.steps || []).forEach(function (step) { show(step, d.total); });
        setTimeout(poll, 400);
      }).catch(function () { setTimeout(poll, 2000); });
  };
  setTimeout(poll, 300);
})();
