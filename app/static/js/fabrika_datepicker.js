/* FAB's date picker (bootstrap-datepicker) in the reader's language (app/views/dates.py).
 *
 * The locale data (month and day names, week start) is defined here and served from /static,
 * never from a CDN. Each field's language, format and first weekday come from the data-date-*
 * attributes the server writes; ab.js starts every picker in English with an ISO format, so
 * the pickers of form fields are started again with those attributes. Filter rows, added later,
 * start theirs on first focus (bootstrap-datepicker's data API) with the same attributes.
 */
(function ($) {
  'use strict';
  if (!$ || !$.fn.datepicker) { return; }

  $.fn.datepicker.dates.ru = {
    days: ['воскресенье', 'понедельник', 'вторник', 'среда', 'четверг', 'пятница', 'суббота'],
    daysShort: ['вс', 'пн', 'вт', 'ср', 'чт', 'пт', 'сб'],
    daysMin: ['Вс', 'Пн', 'Вт', 'Ср', 'Чт', 'Пт', 'Сб'],
    months: ['Январь', 'Февраль', 'Март', 'Апрель', 'Май', 'Июнь', 'Июль', 'Август', 'Сентябрь',
      'Октябрь', 'Ноябрь', 'Декабрь'],
    monthsShort: ['янв', 'фев', 'мар', 'апр', 'май', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек'],
    today: 'Сегодня',
    clear: 'Очистить',
    titleFormat: 'MM yyyy',
    weekStart: 1
  };
  $.fn.datepicker.dates.es = {
    days: ['domingo', 'lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado'],
    daysShort: ['dom', 'lun', 'mar', 'mié', 'jue', 'vie', 'sáb'],
    daysMin: ['Do', 'Lu', 'Ma', 'Mi', 'Ju', 'Vi', 'Sá'],
    months: ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre',
      'octubre', 'noviembre', 'diciembre'],
    monthsShort: ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago', 'sep', 'oct', 'nov', 'dic'],
    today: 'Hoy',
    clear: 'Borrar',
    titleFormat: 'MM yyyy',
    weekStart: 1
  };

  // ab_filters.js calls datetimepicker(), a plugin FAB 5 no longer ships: without it adding a date filter
  // stops half-way with a TypeError. The picker itself starts on focus (below).
  if (!$.fn.datetimepicker) { $.fn.datetimepicker = function () { return this; }; }

  var PICKERS = '[data-provide="datepicker"][data-date-language]';
  var TIME = /\s+\d{1,2}:\d{2}(:\d{2})?$/;

  // A date-time field keeps the time typed after the date when a day is picked.
  function keepTime($picker) {
    var $input = $picker.find('input');
    var time = '';
    $input.on('focus keyup', function () {
      var match = TIME.exec($input.val());
      time = match ? match[0] : time;
    });
    $picker.on('changeDate', function () {
      var value = $input.val();
      if (time && value && !TIME.test(value)) { $input.val(value + time); }
    });
  }

  function start($picker, options) {
    if ($picker.data('datepicker')) { $picker.datepicker('destroy'); }
    $picker.datepicker(options || {});
    if ($picker.hasClass('appbuilder_datetime')) { keepTime($picker); }
  }

  // Filter values travel as ISO dates (FAB reads them with dateutil, which would take 07.12.2026 for
  // July 12th): they are shown and typed in the reader's format and turned into ISO on submit.
  function pad(text) { return text.length === 1 ? '0' + text : text; }

  function toIso(text, format) {
    var m = /^\s*(\d{1,4})\D(\d{1,2})\D(\d{1,4})(\s+\d{1,2}:\d{2}(:\d{2})?)?\s*$/.exec(text);
    if (!m) { return null; }
    var order = format.split(/[^dmy]+/), parts = {};
    order.forEach(function (part, i) { parts[part.charAt(0)] = m[i + 1]; });
    if (!parts.y || parts.y.length !== 4) { return null; }
    return parts.y + '-' + pad(parts.m) + '-' + pad(parts.d) + (m[4] || '');
  }

  function fromIso(text, format) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(.*)$/.exec(text || '');
    if (!m) { return text; }
    return format.replace('yyyy', m[1]).replace('mm', m[2]).replace('dd', m[3]) + m[4];
  }

  function filterInputs() {
    return $('#filter_form ' + PICKERS).map(function () {
      return {input: $(this).find('input'), format: $(this).attr('data-date-format')};
    }).get();
  }

  $(function () {
    $(PICKERS).each(function () {
      var $picker = $(this);
      if (!$picker.closest('#filter_form').length) { start($picker); }
    });
    filterInputs().forEach(function (f) { f.input.val(fromIso(f.input.val(), f.format)); });
    $(document).on('submit', '#filter_form', function () {
      filterInputs().forEach(function (f) {
        var iso = toIso(f.input.val(), f.format);
        if (iso) { f.input.val(iso); }
      });
    });
  });
}(window.jQuery));
