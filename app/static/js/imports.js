// Data import pages: a notice while the server reads and checks an uploaded file (a large one takes seconds).
document.querySelectorAll('form.fab-import-form, form.fab-import-check').forEach(function (form) {
  form.addEventListener('submit', function () { document.getElementById('fab-import-wait').style.display = 'block'; });
});
