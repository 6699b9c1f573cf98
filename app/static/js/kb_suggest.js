/* Knowledge-base suggestions (app/views/quality/kb.py): a div[data-kb-suggest] lists articles for what the user
 * types in the form field it names (data-field, e.g. a service request's subject), or, with data-request, the
 * articles linked to a request and those suggested for it, each with a button that links it (POST, CSRF token
 * from data-csrf). No inline script: the page's CSP allows only files from /static. */
(function () {
  "use strict";
  function list(box, rows, title, link) {
    var block = document.createElement("div");
    var head = document.createElement("strong");
    head.textContent = title;
    block.appendChild(head);
    var ul = document.createElement("ul");
    rows.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url; a.textContent = r.title; a.target = "_blank"; a.rel = "noopener";
      li.appendChild(a);
      if (r.snippet) { var s = document.createElement("small"); s.className = "text-muted"; s.textContent = " — " + r.snippet; li.appendChild(s); }
      if (link && r.link_url) {
        var f = document.createElement("form");
        f.method = "post"; f.action = r.link_url; f.style.display = "inline"; f.style.marginLeft = "6px";
        var t = document.createElement("input"); t.type = "hidden"; t.name = "csrf_token"; t.value = box.dataset.csrf;
        var b = document.createElement("button"); b.type = "submit"; b.className = "btn btn-xs btn-default";
        b.textContent = box.dataset.linkLabel; b.setAttribute("data-kb-link", r.id);
        f.appendChild(t); f.appendChild(b); li.appendChild(f);
      }
      ul.appendChild(li);
    });
    block.appendChild(ul);
    box.appendChild(block);
  }
  function load(box, url, params) {
    fetch(url + "?" + new URLSearchParams(params), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {results: []}; })
      .then(function (data) {
        box.textContent = "";
        if (data.linked && data.linked.length) { list(box, data.linked, box.dataset.linkedTitle, false); }
        var rows = data.results || data.suggested || [];
        if (rows.length) { list(box, rows, box.dataset.title, !!box.dataset.csrf); }
      });
  }
  document.querySelectorAll("div[data-kb-suggest]").forEach(function (box) {
    if (box.dataset.request) { load(box, box.dataset.kbSuggest, {}); return; }
    var field = document.querySelector("[name='" + box.dataset.field + "']");
    if (!field) { return; }
    field.parentNode.appendChild(box);
    var timer = null;
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (field.value.trim().length >= 3) { load(box, box.dataset.kbSuggest, {q: field.value}); } else { box.textContent = ""; }
      }, 300);
    });
  });
})();
