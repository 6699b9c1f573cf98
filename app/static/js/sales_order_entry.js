/* The order entry form (sales_order_entry.html): client and item look-ups as the user types (the
 * lookup URL is the form's data-lookup-url), lines added and removed, popular items added with a click;
 * the client's popular items are fetched again (#popular's data-url) whenever another client is chosen. */
(function () {
  "use strict";
  var lookup = document.getElementById("order-entry").dataset.lookupUrl;
  function fill(listId, what, q) {
    fetch(lookup + "?what=" + what + "&q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (r) { return r.json(); }).then(function (rows) {
        var dl = document.getElementById(listId); dl.innerHTML = "";
        rows.forEach(function (r) {
          var o = document.createElement("option"); o.value = r.label; o.dataset.id = r.id;
          if (r.match) o.label = r.match;  /* the name typed in another language: shown, and kept by the browser */
          dl.appendChild(o);
        });
      });
  }
  function idOf(listId, value) {
    var opts = document.getElementById(listId).options;
    for (var i = 0; i < opts.length; i++) { if (opts[i].value === value) return opts[i].dataset.id; }
    return "";
  }
  var pn = document.getElementById("partner_name"), pid = document.getElementById("partner_id");
  var popular = document.getElementById("popular"), shownFor = pid.value;
  function popButton(p) {
    var b = document.createElement("button"); b.type = "button"; b.className = "btn btn-xs btn-info pop-item";
    b.dataset.id = p.item_id; b.dataset.label = p.code + " " + p.name;
    b.textContent = p.code + " " + p.name + " (" + p.orders + ")";
    return b;
  }
  function refreshPopular() {
    if (pid.value === shownFor) return;
    shownFor = pid.value;
    var box = document.getElementById("popular-client");
    function show(rows) {
      box.innerHTML = "";
      rows.forEach(function (p) { box.appendChild(popButton(p)); box.appendChild(document.createTextNode(" ")); });
      if (!rows.length) {
        var none = document.createElement("span"); none.className = "text-muted"; none.textContent = popular.dataset.none;
        box.appendChild(none);
      }
    }
    if (!pid.value) { show([]); return; }
    var asked = pid.value;
    fetch(popular.dataset.url + "?partner_id=" + encodeURIComponent(asked), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) { if (asked === pid.value) show(data.client || []); });
  }
  pn.addEventListener("input", function () {
    pid.value = idOf("partner-list", pn.value);
    if (!pid.value) fill("partner-list", "partner", pn.value);
    refreshPopular();
  });
  var tbody = document.querySelector("#order-lines tbody");
  tbody.addEventListener("input", function (e) {
    if (!e.target.classList.contains("line-item")) return;
    var hid = e.target.parentNode.querySelector(".line-item-id");
    hid.value = idOf("item-list", e.target.value);
    if (!hid.value) fill("item-list", "item", e.target.value);
  });
  tbody.addEventListener("click", function (e) {
    if (e.target.classList.contains("remove-line") && tbody.rows.length > 1) e.target.closest("tr").remove();
  });
  function addLine(id, label) {
    var rows = tbody.querySelectorAll("tr.order-line"), last = rows[rows.length - 1];
    var target = last;
    if (last.querySelector(".line-item").value || last.querySelector("[name=line_description]").value) {
      target = last.cloneNode(true);
      target.querySelectorAll("input").forEach(function (i) { i.value = ""; });
      target.querySelectorAll(".line-calc-label").forEach(function (el) { el.remove(); });
      tbody.appendChild(target);
    }
    if (id) { target.querySelector(".line-item").value = label; target.querySelector(".line-item-id").value = id;
              target.querySelector(".line-qty").value = "1"; }
    return target;
  }
  document.getElementById("add-line").addEventListener("click", function () { addLine(); });
  document.getElementById("popular").addEventListener("click", function (e) {
    var b = e.target.closest(".pop-item"); if (b) addLine(b.dataset.id, b.dataset.label);
  });
})();
