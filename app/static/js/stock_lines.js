/* The lines grid of a stock draft (stock_lines_grid.html): rows added and removed, the item picked by code or
 * name as the user types (the form's data-lookup-url answers with each item's units), the unit list following
 * the item, the row numbers, each row's amount and the totals kept current. The whole grid is saved at once. */
(function () {
  "use strict";
  var form = document.getElementById("stock-lines");
  if (!form) return;
  var lookup = form.dataset.lookupUrl, locale = (form.dataset.locale || "en").replace("_", "-");
  var tbody = document.querySelector("#stock-lines-table tbody");
  var list = document.getElementById("stock-item-list");
  var known = {};  /* label -> {id, units, cost} of the items offered so far */
  var timer = null;

  /* a typed number read as the server reads it (app/static/js/fabrika_numbers.js, the rules of
     app/domain/numbers.py): an ambiguous "1.234" on a Russian page counts as nothing, as the server refuses it */
  function number(text) {
    return window.FabrikaNumbers.parse(text, locale);
  }
  function shown(value, places, most) {
    return new Intl.NumberFormat(locale, {minimumFractionDigits: places, maximumFractionDigits: most}).format(value);
  }
  function totals() {
    var qty = 0, amount = 0;
    tbody.querySelectorAll("tr.stock-line").forEach(function (tr, i) {
      tr.querySelector(".line-no").textContent = String(i + 1);
      var q = number(tr.querySelector(".line-qty").value), costInput = tr.querySelector(".line-cost");
      if (q !== null) qty += q;
      if (!costInput) return;
      var c = number(costInput.value), cell = tr.querySelector(".line-amount");
      if (q !== null && c !== null) { amount += q * c; cell.textContent = shown(q * c, 2, 2); } else { cell.textContent = ""; }
    });
    document.getElementById("total-qty").textContent = shown(qty, 0, 6);
    var total = document.getElementById("total-amount");
    if (total) total.textContent = shown(amount, 2, 2);
  }
  function setUnits(tr, units) {
    var select = tr.querySelector(".line-unit"), keep = select.value;
    select.innerHTML = "";
    units.forEach(function (u) {
      var o = document.createElement("option"); o.value = u.code; o.textContent = u.label;
      if (u.code === keep) o.selected = true;
      select.appendChild(o);
    });
  }
  function offer(q) {
    fetch(lookup + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; }).then(function (rows) {
        list.innerHTML = "";
        rows.forEach(function (r) {
          known[r.label] = r;
          var o = document.createElement("option"); o.value = r.label; list.appendChild(o);
        });
      });
  }
  function picked(input) {
    var tr = input.closest("tr"), hit = known[input.value];
    tr.querySelector(".line-item-id").value = hit ? hit.id : "";
    if (!hit) return false;
    setUnits(tr, hit.units);
    var cost = tr.querySelector(".line-cost");
    if (cost && !cost.value && hit.cost) cost.value = hit.cost;
    var qty = tr.querySelector(".line-qty");
    if (!qty.value) qty.value = "1";
    totals();
    return true;
  }
  function addLine(focus) {
    var row = document.getElementById("stock-line-template").content.firstElementChild.cloneNode(true);
    tbody.appendChild(row);
    totals();
    if (focus) row.querySelector(".line-item").focus();
    return row;
  }
  tbody.addEventListener("input", function (e) {
    if (e.target.classList.contains("line-item")) {
      if (picked(e.target)) return;
      var q = e.target.value.trim();
      clearTimeout(timer);
      if (q) timer = setTimeout(function () { offer(q); }, 150);
      return;
    }
    totals();
  });
  tbody.addEventListener("change", function (e) { if (e.target.classList.contains("line-item")) picked(e.target); });
  tbody.addEventListener("click", function (e) {
    var button = e.target.closest(".remove-line");
    if (!button) return;
    button.closest("tr").remove();
    totals();
  });
  document.getElementById("add-line").addEventListener("click", function () { addLine(true); });
  if (!tbody.querySelector("tr.stock-line")) addLine();
  totals();
})();
