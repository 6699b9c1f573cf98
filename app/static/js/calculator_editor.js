/* The calculator editor's live test run (calculator_editor.html): every edit of the definition or of a
 * test input posts the definition to the test-run URL (the test form's data-url, with its data-csrf
 * token) and shows the outputs, BOM and intermediates, or the problems with their lines. */
(function () {
  "use strict";
  var form = document.getElementById('calc-test-form');
  var url = form.dataset.url, token = form.dataset.csrf, timer = null, seq = 0;
  function inputs() {
    var out = {};
    document.querySelectorAll('#calc-test-form [data-kind]').forEach(function (el) {
      out[el.name] = el.dataset.kind === 'bool' ? (el.checked ? '1' : '0') : el.value;
    });
    return out;
  }
  function fill(id, rows) {
    var table = document.getElementById(id);
    table.innerHTML = '';
    rows.forEach(function (r) {
      var tr = document.createElement('tr');
      r.forEach(function (c, i) {
        var cell = document.createElement(i === 0 ? 'th' : 'td');
        cell.textContent = c;
        if (i > 0) { cell.className = 'text-right'; }
        tr.appendChild(cell);
      });
      table.appendChild(tr);
    });
  }
  function run() {
    var mine = ++seq;
    var body = {
      parameters: document.getElementById('calc-parameters').value,
      formulas: document.getElementById('calc-formulas').value,
      outputs: document.getElementById('calc-outputs').value,
      inputs: inputs()
    };
    fetch(url, {method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
                body: JSON.stringify(body)})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (mine !== seq) { return; }
        var problems = document.getElementById('calc-test-problems'), result = document.getElementById('calc-test-result');
        if (!data.ok) {
          problems.innerHTML = '';
          var ul = document.createElement('ul');
          data.problems.forEach(function (p) { var li = document.createElement('li'); li.textContent = p; ul.appendChild(li); });
          problems.appendChild(ul);
          problems.style.display = ''; result.style.display = 'none';
          return;
        }
        problems.style.display = 'none'; result.style.display = '';
        fill('calc-test-outputs', data.outputs);
        fill('calc-test-bom', data.bom.map(function (b) { return [b[0] + ' ' + b[1], b[2]]; }));
        fill('calc-test-intermediates', data.intermediates);
      });
  }
  function later() { clearTimeout(timer); timer = setTimeout(run, 300); }
  document.getElementById('calc-test-run').addEventListener('click', run);
  document.querySelectorAll('#calc-test-form [data-kind], #calc-editor textarea').forEach(function (el) {
    el.addEventListener('input', later);
    el.addEventListener('change', later);
  });
  run();
})();
