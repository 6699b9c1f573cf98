/*
 * Behaviour every page shares. The Content-Security-Policy runs no inline script and no inline
 * event handler, so pages describe what they need in data-* attributes and this file acts on them:
 *
 *   <form data-confirm="Post the document?">   asks before submitting (post, cancel, merge buttons)
 *   <form data-no-submit>                      never submits (live forms read by a page script)
 *   <select class="report-select2" data-placeholder="All warehouses">   report filter select boxes
 *   <select class="fab-lookup" data-url="...">  searches the server as the user types (select2 ajax;
 *                                               app/views/partners.py LookupWidget), also when FAB's
 *                                               search filters add one to the page later
 *
 * Loaded after jQuery and select2 (fabrika_base.html, tail_js).
 */
(function ($) {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-no-submit")) {
      event.preventDefault();
      return;
    }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  function initReportSelect(el) {
    $(el).select2({placeholder: $(el).data("placeholder"), allowClear: true, theme: "bootstrap"});
  }

  function initLookup(el) {
    if (el.hasAttribute("data-lookup-ready")) {
      return;
    }
    el.setAttribute("data-lookup-ready", "1");
    var $el = $(el);
    $el.select2({
      allowClear: true, placeholder: "", minimumInputLength: 1,
      ajax: {url: $el.data("url"), dataType: "json", delay: 250, data: function (p) { return {q: p.term}; }}
    });
  }

  function initWithin(root) {
    $(root).find("select.fab-lookup").addBack("select.fab-lookup").each(function () { initLookup(this); });
  }

  $(function () {
    $("select.report-select2").each(function () { initReportSelect(this); });
    initWithin(document.body);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        change.addedNodes.forEach(function (node) {
          if (node.nodeType === 1) {
            initWithin(node);
          }
        });
      });
    }).observe(document.body, {childList: true, subtree: true});
  });
})(jQuery);
