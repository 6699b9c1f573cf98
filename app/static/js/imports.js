// Data import pages: a notice while a file is sent; on a run page, the progress of a check or an import
// running in the background (polled from its status URL), then the page again with the preview or result.
document.querySelectorAll('form.fab-import-form, form.fab-import-check').forEach(function (form) {
  form.addEventListener('submit', function () { document.getElementById('fab-import-wait').style.display = 'block'; });
});
(function () {
  var box = document.getElementById('import-progress');
  if (!box) { return; }
  var bar = document.getElementById('import-bar');
  var rows = document.getElementById('import-rows-done');
  var lang = document.documentElement.lang || undefined;  // 42 000 / 42.000 / 42,000 as the reader writes it
  var show = function (d) {
    bar.style.width = Math.max(3, d.percent) + '%';
    bar.setAttribute('aria-valuenow', d.percent);
    bar.textContent = d.percent + ' %';
    rows.textContent = d.done.toLocaleString(lang) + ' ' + rows.getAttribute('data-of') + ' ' +
      d.total.toLocaleString(lang) + ' ' + rows.getAttribute('data-rows');
  };
  bar.style.width = Math.max(3, Number(bar.getAttribute('data-width')) || 0) + '%';
  var poll = function () {
    fetch(box.getAttribute('data-url'), {credentials: 'same-origin'}).then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.finished) { show({percent: 100, done: d.done, total: d.total}); window.location.reload(); return; }
        show(d);
        setTimeout(poll, 400);
      }).catch(function () { setTimeout(poll, 2000); });
  };
  setTimeout(poll, 300);
})();
