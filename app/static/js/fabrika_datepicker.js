/* FAB's date picker (bootstrap-datepicker) in the reader's language (app/views/dates.py).
 *
 * The locale data (month and day names, week start) is defined here and served from /static,
 * never from a CDN. Each field's language, format and first weekday come from the data-date-*
 * attributes the server writes; ab.js starts every picker in English with an ISO format, so
 * the pickers of form fields are started again with those attributes. Filters keep ISO dates
 * (FAB reads filter values as ISO) with the picker in the reader's language.
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

  $(function () {
    $(PICKERS).each(function () {
      var $picker = $(this);
      if (!$picker.closest('#filter_form').length) { start($picker); }
    });
    // Filter rows are added later (ab_filters.js); their picker starts on first focus, with ISO dates.
    $(document).on('focusin', '#filter_form ' + PICKERS + ' input', function () {
      var $picker = $(this).closest(PICKERS);
      if (!$picker.data('fabrikaIso')) {
        $picker.data('fabrikaIso', true);
        start($picker, {format: 'yyyy-mm-dd'});
      }
    });
  });
}(window.jQuery));
