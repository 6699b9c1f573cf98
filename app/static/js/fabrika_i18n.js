/* Select2's own messages ("No results found", "Searching…", the clear button's "Remove all items")
 * in the reader's language. The texts are translated on the server and written by
 * fabrika_base.html into <script type="application/json" id="fabrika-i18n">; set as select2's
 * defaults before any select box starts (ab.js starts FAB's on DOM ready, after this file runs). */
(function ($) {
  'use strict';
  var node = document.getElementById('fabrika-i18n');
  if (!node || !$ || !$.fn.select2 || !$.fn.select2.defaults) { return; }
  var texts = JSON.parse(node.textContent).select2;
  var language = {};
  Object.keys(texts).forEach(function (key) {
    language[key] = function () { return texts[key]; };
  });
  $.fn.select2.defaults.set('language', language);
}(window.jQuery));
