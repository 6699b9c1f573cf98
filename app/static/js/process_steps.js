/* The visual step editor of a process template (fabrika/projects/process_steps_editor.html): one row per
 * step (title in three languages, role, employee, deadline in working days, hours, `when` condition, wait) with add / remove /
 * move buttons. It hides the form's `steps` JSON box and writes the JSON back into it on every change, so
 * the server checks it as typed JSON. Keys it does not show (key...) are kept as they were.
 * Also shows only the condition fields of the event chosen in the form. */
(function () {
  "use strict";
  var box = document.getElementById('process-steps-editor');
  var area = document.getElementById('steps');
  var fieldsBox = document.getElementById('process-event-fields');
  var eventSelect = document.getElementById('event');

  function showEventFields() {
    if (!eventSelect || !fieldsBox) { return; }
    fieldsBox.querySelectorAll('[data-event]').forEach(function (div) {
      div.style.display = div.dataset.event === eventSelect.value ? '' : 'none';
    });
  }
  if (eventSelect) {
    eventSelect.addEventListener('change', showEventFields);
    if (window.jQuery) { window.jQuery(eventSelect).on('change', showEventFields); }  // select2 fires via jQuery
  }
  showEventFields();
  if (!box || !area) { return; }

  var d = box.dataset, roles = JSON.parse(d.roles || '[]'), users = JSON.parse(d.users || '[]'), steps;
  try {
    steps = JSON.parse(area.value || '[]');
    if (!Array.isArray(steps) || steps.some(function (s) { return !s || typeof s !== 'object' || Array.isArray(s); })) {
      throw new Error('not a list of objects');
    }
  } catch (e) {
    var note = document.createElement('p');
    note.className = 'text-warning';
    note.textContent = d.wBadJson;
    area.parentNode.insertBefore(note, area);
    return;  // the box stays: the user fixes the JSON by hand
  }

  function save() {
    area.value = JSON.stringify(steps, null, 1);
  }
  function setOrDrop(step, key, value) {
    if (value === '' || value === null || value === undefined) { delete step[key]; } else { step[key] = value; }
    save();
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function labelled(label, input) {
    var wrap = el('div', {'class': 'form-group', 'style': 'margin-right:8px'});
    var lab = el('label', {'style': 'font-weight:normal'}, label + ' ');
    input.style.marginLeft = '4px';
    lab.appendChild(input);
    wrap.appendChild(lab);
    return wrap;
  }
  function select(options, value) {
    var s = el('select', {'class': 'form-control input-sm'});
    s.appendChild(el('option', {value: ''}, d.wNone));
    var known = false;
    options.forEach(function (o) {
      var opt = el('option', {value: o[0]}, o[1]);
      if (o[0] === value) { opt.selected = true; known = true; }
      s.appendChild(opt);
    });
    if (value && !known) { var extra = el('option', {value: value}, value); extra.selected = true; s.appendChild(extra); }
    return s;
  }
  function text(value, type, step, key, asNumber) {
    var input = el('input', {type: type, 'class': 'form-control input-sm'});
    if (type === 'number') { input.setAttribute('min', '0'); input.setAttribute('step', key === 'hours' ? '0.5' : '1'); }
    input.value = value === undefined || value === null ? '' : value;
    input.addEventListener('input', function () {
      var v = input.value.trim();
      setOrDrop(step, key, asNumber && v !== '' && !isNaN(Number(v)) ? Number(v) : v);
    });
    return input;
  }
  function button(label, icon, onClick, disabled) {
    var b = el('button', {type: 'button', 'class': 'btn btn-default btn-sm', title: label, 'aria-label': label});
    b.appendChild(el('i', {'class': 'fa ' + icon}));
    if (disabled) { b.disabled = true; }
    b.addEventListener('click', onClick);
    return b;
  }
  function move(i, by) {
    var s = steps.splice(i, 1)[0];
    steps.splice(i + by, 0, s);
    save();
    render();
  }
  function row(step, i) {
    var panel = el('div', {'class': 'panel panel-default process-step', 'data-index': String(i)});
    var body = el('div', {'class': 'panel-body form-inline'});
    body.appendChild(el('strong', {'style': 'margin-right:8px'}, (i + 1) + '.'));
    body.appendChild(labelled(d.wTitle, text(step.title, 'text', step, 'title')));
    body.appendChild(labelled(d.wTitleRu, text(step.title_ru, 'text', step, 'title_ru')));
    body.appendChild(labelled(d.wTitleEs, text(step.title_es, 'text', step, 'title_es')));
    body.appendChild(el('br'));
    var role = select(roles, step.role || '');
    role.addEventListener('change', function () { setOrDrop(step, 'role', role.value); });
    body.appendChild(labelled(d.wRole, role));
    if (users.length) {
      var user = select(users, step.user || '');
      user.addEventListener('change', function () { setOrDrop(step, 'user', user.value); });
      body.appendChild(labelled(d.wUser, user));
    }
    var days = text(step.days, 'number', step, 'days', true);
    days.setAttribute('placeholder', '1');
    days.style.width = '6em';
    body.appendChild(labelled(d.wDays, days));
    var hours = text(step.hours, 'number', step, 'hours', true);
    hours.setAttribute('placeholder', '0');
    hours.style.width = '6em';
    body.appendChild(labelled(d.wHours, hours));
    var when = text(step.when, 'text', step, 'when');
    when.style.width = '18em';
    body.appendChild(labelled(d.wWhen, when));
    var wait = el('input', {type: 'checkbox'});
    wait.checked = step.wait !== false;
    wait.addEventListener('change', function () {
      if (wait.checked) { delete step.wait; } else { step.wait = false; }
      save();
    });
    var waitLabel = el('label', {'style': 'font-weight:normal;margin-right:8px'});
    waitLabel.appendChild(wait);
    waitLabel.appendChild(document.createTextNode(' ' + d.wWait));
    body.appendChild(waitLabel);
    var tools = el('span', {'class': 'btn-group'});
    tools.appendChild(button(d.wUp, 'fa-arrow-up', function () { move(i, -1); }, i === 0));
    tools.appendChild(button(d.wDown, 'fa-arrow-down', function () { move(i, 1); }, i === steps.length - 1));
    tools.appendChild(button(d.wRemove, 'fa-trash', function () { steps.splice(i, 1); save(); render(); }));
    body.appendChild(tools);
    panel.appendChild(body);
    return panel;
  }
  function render() {
    box.innerHTML = '';
    box.appendChild(el('strong', {}, d.wHeading));
    if (!steps.length) { box.appendChild(el('p', {'class': 'text-muted'}, d.wEmpty)); }
    steps.forEach(function (s, i) { box.appendChild(row(s, i)); });
    var add = el('button', {type: 'button', 'class': 'btn btn-default btn-sm process-step-add'});
    add.appendChild(el('i', {'class': 'fa fa-plus'}));
    add.appendChild(document.createTextNode(' ' + d.wAdd));
    add.addEventListener('click', function () { steps.push({title: '', days: 1}); save(); render(); });
    box.appendChild(add);
  }

  area.style.display = 'none';
  // the editor sits right under the (now hidden) box, not at the end of the form
  var cell = area.parentNode;
  cell.appendChild(box);
  box.style.display = '';
  render();
})();
