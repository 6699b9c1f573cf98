/* The main menu's groups (app/views/menu_groups.py): an opened group whose sections would run past
 * the window's right edge is moved left just enough to stay inside it. */
(function ($) {
  'use strict';
  if (!$) { return; }
  var MARGIN = 8;
  $(document).on('shown.bs.dropdown', '.fab-menu-group', function () {
    var menu = this.querySelector('.fab-menu-sections');
    if (!menu) { return; }
    menu.style.left = '';
    var rect = menu.getBoundingClientRect();
    var overflow = rect.right - (document.documentElement.clientWidth - MARGIN);
    if (overflow > 0) {
      var left = parseFloat(window.getComputedStyle(menu).left) || 0;
      menu.style.left = Math.max(left - overflow, MARGIN - this.getBoundingClientRect().left) + 'px';
    }
  });
}(window.jQuery));
