/*
 * The TCP configurator page (app/templates/fabrika/proposal_configurator.html).
 * Every change posts the whole configuration to the calc endpoint (JSON with the CSRF header)
 * and redraws lines, totals, rule violations and option states in place; a newer click cancels
 * the answer to an older one. A payment-schedule row joins the calculation once the user has left
 * one of its fields (or saves): a row just added is not yet an error. Plain JS, no libraries.
 */
(function () {
  "use strict";
  var root = document.getElementById("configurator");
  if (!root) { return; }
  var form = document.getElementById("cfg-form");
  var initial = JSON.parse(document.getElementById("cfg-initial").textContent || "{}");
  var state = {
    proposalId: initial.proposal_id || null,
    extraLines: initial.extra_lines || [],
    lineTerms: initial.line_terms || {},
    pending: null,
    seq: 0
  };

  function $(id) { return document.getElementById(id); }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function text(el, value) { if (el) { el.textContent = value == null ? "" : value; } }

  // --- reading the page ---------------------------------------------------------------------

  function selection() {
    var out = {};
    each(form.querySelectorAll("[data-option]"), function (input) {
      var id = input.getAttribute("data-option");
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { out[id] = 1; }
      } else if (input.value && Number(input.value) > 0) {
        out[id] = input.value;
      }
    });
    return out;
  }

  function instalments(all) {
    var out = [];
    each($("cfg-schedule").querySelectorAll("tbody tr"), function (row) {
      if (!all && row.getAttribute("data-touched") !== "1") { return; }
      var item = {};
      each(row.querySelectorAll("[data-f]"), function (el) {
        if (el.tagName !== "TD") { item[el.getAttribute("data-f")] = el.value; }
      });
      out.push(item);
    });
    return out;
  }

  function payload(all) {
    return {
      proposal_id: state.proposalId,
      model_id: $("cfg-model") ? $("cfg-model").value : null,
      partner_id: $("cfg-partner").value || null,
      deal_id: initial.deal_id || null,
      contact_id: initial.contact_id || null,
      qty: $("cfg-qty").value,
      currency_id: $("cfg-currency").value,
      cost_source: $("cfg-source").value,
      margin_pct: $("cfg-margin").value,
      discount_pct: $("cfg-discount").value,
      tax_pct: $("cfg-tax").value,
      selection: selection(),
      instalments: instalments(all),
      extra_lines: state.extraLines,
      line_terms: state.lineTerms,
      note: initial.note || "",
      valid_until: initial.valid_until || "",
      what_if_source: $("cfg-whatif-source").value
    };
  }

  // --- talking to the server ----------------------------------------------------------------

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": root.getAttribute("data-csrf")},
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().then(function (data) { return {status: resp.status, data: data}; });
    });
  }

  function recalc() {
    var seq = ++state.seq;
    root.setAttribute("data-busy", "1");
    post(root.getAttribute("data-calc-url"), payload()).then(function (res) {
      if (seq !== state.seq) { return; }  // a newer click is on its way
      if (res.status !== 200) { showList("cfg-problems", res.data.errors || []); }
      else { render(res.data); }
      root.setAttribute("data-busy", "0");
      root.setAttribute("data-calcs", String(seq));
    }).catch(function (err) {
      if (seq === state.seq) { showList("cfg-problems", [String(err)]); root.setAttribute("data-busy", "0"); }
    });
  }

  // --- drawing the answer ---------------------------------------------------------------------

  function showList(id, items) {
    var box = $(id);
    var ul = box.querySelector("ul");
    ul.innerHTML = "";
    each(items, function (msg) { var li = document.createElement("li"); li.textContent = msg; ul.appendChild(li); });
    box.style.display = items.length ? "" : "none";
  }

  function cell(row, value, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = value == null ? "" : value;
    row.appendChild(td);
    return td;
  }

  function termInputs(td, line) {
    ["margin", "discount"].forEach(function (field) {
      var input = document.createElement("input");
      input.className = "form-control input-sm";
      input.setAttribute("data-term", field);
      input.setAttribute("data-line", line.key);
      input.placeholder = field === "margin" ? "%" : "-%";
      input.value = field === "margin" ? line.own_margin : line.own_discount;
      td.appendChild(input);
      td.appendChild(document.createTextNode(" "));
    });
  }

  function renderLines(lines) {
    var body = $("cfg-lines").querySelector("tbody");
    body.innerHTML = "";
    each(lines, function (line) {
      var row = document.createElement("tr");
      row.setAttribute("data-line", line.key);
      if (line.below_floor) { row.className = "below-floor"; }
      var name = cell(row, line.description);
      if (line.group) { name.insertAdjacentHTML("afterbegin", ""); name.title = line.group; }
      if (line.promotion) {
        var promo = document.createElement("div");
        promo.className = "small text-success cfg-promotion";
        promo.textContent = "\u2212" + line.promotion_pct + " " + line.promotion;
        name.appendChild(promo);
      }
      cell(row, line.qty, "cfg-num");
      cell(row, line.cost, "cfg-num");
      cell(row, line.unit_price, "cfg-num");
      cell(row, line.price, "cfg-num");
      cell(row, line.margin, "cfg-num");
      termInputs(cell(row, ""), line);
      body.appendChild(row);
      each(line.parts, function (part) {
        var sub = document.createElement("tr");
        sub.className = "part";
        cell(sub, "\u2003" + part.label);
        cell(sub, part.qty, "cfg-num");
        cell(sub, part.cost, "cfg-num");
        cell(sub, ""); cell(sub, ""); cell(sub, ""); cell(sub, "");
        body.appendChild(sub);
      });
    });
  }

  function renderGroups(groups) {
    var body = $("cfg-groups").querySelector("tbody");
    body.innerHTML = "";
    each(groups, function (g) {
      var row = document.createElement("tr");
      cell(row, g.label); cell(row, g.cost, "cfg-num"); cell(row, g.price, "cfg-num"); cell(row, g.margin, "cfg-num");
      body.appendChild(row);
    });
  }

  function renderOptions(options) {
    each(form.querySelectorAll(".cfg-option"), function (box) {
      var id = box.getAttribute("data-option-id");
      var st = options[id];
      if (!st) { return; }
      var input = box.querySelector("[data-option='" + id + "']");
      var chosen = input.type === "radio" || input.type === "checkbox" ? input.checked : Number(input.value) > 0;
      var blocked = st.blocked;
      // a blocked option that is not chosen can't be chosen; a chosen one stays editable to undo it
      input.disabled = blocked && !chosen;
      box.classList.toggle("blocked", blocked);
      box.setAttribute("data-blocked", blocked ? "1" : "0");
      text(box.querySelector("[data-reason-for='" + id + "']"), st.reasons.join("; "));
      if (input.type === "number") {
        if (st.limit != null) { input.max = Math.max(st.limit, 0); } else { input.removeAttribute("max"); }
      }
    });
    each(form.querySelectorAll("fieldset[data-parent-option]"), function (group) {
      var parent = form.querySelector("[data-option='" + group.getAttribute("data-parent-option") + "']");
      var on = parent && (parent.type === "number" ? Number(parent.value) > 0 : parent.checked);
      group.style.display = on ? "" : "none";
    });
  }

  function render(data) {
    renderLines(data.lines);
    renderGroups(data.groups);
    renderOptions(data.options);
    each(root.querySelectorAll("[data-total]"), function (el) {
      var key = el.getAttribute("data-total");
      text(el, data.totals[key]);
    });
    $("cfg-floor").style.display = data.totals.below_floor ? "" : "none";
    showList("cfg-violations", data.violations);
    showList("cfg-problems", data.problems);
    showList("cfg-notes", data.notes);
    showList("cfg-promise", data.promise || []);
    var rows = $("cfg-schedule").querySelectorAll("tbody tr");
    each(data.schedule, function (inst, n) { if (rows[n]) { text(rows[n].querySelector("td[data-f=amount]"), inst.amount); } });
    var wi = data.what_if;
    text($("cfg-whatif-result"), wi ? wi.source + ": " + wi.cost + " · " + wi.margin + "%" : "");
  }

  // --- editing --------------------------------------------------------------------------------

  function addInstalment(values, touched) {
    var row = $("cfg-instalment-row").content.firstElementChild.cloneNode(true);
    values = values || {};
    if (touched) { row.setAttribute("data-touched", "1"); }
    each(row.querySelectorAll("[data-f]"), function (el) {
      var key = el.getAttribute("data-f");
      if (el.tagName !== "TD" && values[key] != null) { el.value = values[key]; }
    });
    $("cfg-schedule").querySelector("tbody").appendChild(row);
  }

  function apply(init) {
    if (init.partner_id) { $("cfg-partner").value = init.partner_id; }
    $("cfg-qty").value = init.qty || "1";
    if (init.currency_id) { $("cfg-currency").value = init.currency_id; }
    $("cfg-source").value = init.cost_source || $("cfg-source").value;
    $("cfg-margin").value = init.margin_pct || "";
    $("cfg-discount").value = init.discount_pct || "";
    $("cfg-tax").value = init.tax_pct || "0";
    var sel = init.selection || {};
    each(form.querySelectorAll("[data-option]"), function (input) {
      var qty = sel[input.getAttribute("data-option")];
      if (input.type === "radio" || input.type === "checkbox") { input.checked = !!qty; }
      else { input.value = qty || 0; }
    });
    each(init.instalments || [], function (inst) { addInstalment(inst, true); });
  }

  var partnerTimer = null;
  function findPartners() {
    var typed = $("cfg-partner-name").value;
    var list = $("cfg-partner-list");
    var match = list.querySelector("option[value='" + typed.replace(/'/g, "\\'") + "']");
    if (match) { $("cfg-partner").value = match.getAttribute("data-id"); clientCurrency(); return; }
    clearTimeout(partnerTimer);
    partnerTimer = setTimeout(function () {
      fetch(root.getAttribute("data-partners-url") + "?q=" + encodeURIComponent(typed), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (rows) {
          list.innerHTML = "";
          each(rows, function (p) {
            var opt = document.createElement("option");
            opt.value = p.name;
            opt.setAttribute("data-id", p.id);
            list.appendChild(opt);
          });
        });
    }, 150);
  }

  // a new TCP is priced in the currency the client pays in (until the user picks one)
  function clientCurrency() {
    if (state.proposalId || state.currencyChosen) { recalc(); return; }
    fetch(root.getAttribute("data-partners-url") + "?id=" + encodeURIComponent($("cfg-partner").value),
          {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (rows) {
        if (rows.length && rows[0].currency_id) { $("cfg-currency").value = String(rows[0].currency_id); }
        recalc();
      }, recalc);
  }

  function save() {
    $("cfg-save").disabled = true;
    text($("cfg-status"), "");
    each($("cfg-schedule").querySelectorAll("tbody tr"), function (row) { row.setAttribute("data-touched", "1"); });
    post(root.getAttribute("data-save-url"), payload(true)).then(function (res) {
      $("cfg-save").disabled = false;
      if (res.status === 200 && res.data.url) { window.location = res.data.url; return; }
      showList("cfg-problems", res.data.errors || []);
    });
  }

  form.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.id === "cfg-model") {
      window.location = window.location.pathname + "?model=" + encodeURIComponent(t.value);
      return;
    }
    if (t.id === "cfg-partner-name") { return; }
    if (t.id === "cfg-currency") { state.currencyChosen = true; }
    var row = t.closest ? t.closest("#cfg-schedule tbody tr") : null;
    if (row) { row.setAttribute("data-touched", "1"); }  // "change" fires when the field is left
    recalc();
  });
  form.addEventListener("click", function (ev) {
    var t = ev.target.closest ? ev.target.closest("[data-remove-instalment]") : null;
    if (t) { t.closest("tr").remove(); recalc(); }
  });
  $("cfg-partner-name").addEventListener("input", findPartners);
  $("cfg-add-instalment").addEventListener("click", function () {
    // "on order" needs no date: a new row is complete once its share is typed
    addInstalment({pct: "", days: 0, event: "order"});
    var rows = $("cfg-schedule").querySelectorAll("tbody tr");
    rows[rows.length - 1].querySelector("[data-f=pct]").focus();
  });
  $("cfg-add-run").addEventListener("click", function () {
    var id = $("cfg-run").value;
    if (id) { state.extraLines.push({run_id: id}); $("cfg-run").value = ""; recalc(); }
  });
  $("cfg-lines").addEventListener("change", function (ev) {
    var t = ev.target;
    if (!t.getAttribute("data-term")) { return; }
    var key = t.getAttribute("data-line");
    state.lineTerms[key] = state.lineTerms[key] || {};
    state.lineTerms[key][t.getAttribute("data-term")] = t.value;
    recalc();
  });
  $("cfg-whatif-source").addEventListener("change", recalc);
  if ($("cfg-save")) { $("cfg-save").addEventListener("click", save); }

  apply(initial);
  recalc();
}());
