/* The segment form (marketing_segment_add/edit.html): a rule builder over the stored JSON, and the live count.
 *
 * The rules are still stored as JSON (the form's rules_text): a list of conditions that must all hold, or,
 * when "any" is chosen, one {"kind": "any", "rules": [...]} group. The builder draws a row per condition
 * (kind, the value inputs that kind needs, a "not" box) from the words and choices the server sends
 * (GET data-choices-url: items, groups, tags, managers, languages in the reader's language), writes the
 * JSON back on every change and asks the server how many clients it selects now (POST data-count-url).
 * Rules the builder cannot draw (nested groups typed by hand or sent through the API) stay in the JSON
 * box, which is always there under "JSON". No inline script (the CSP forbids it), no library. */
(function () {
  "use strict";
  var area = document.getElementById("rules_text"), out = document.getElementById("segment-count");
  var root = document.getElementById("segment-builder");
  if (!area || !out) { return; }
  var token = document.querySelector("input[name=csrf_token]"), timer = null, C = null, rowsBox = null, combine = null;

  function show() {
    fetch(area.getAttribute("data-count-url"), {method: "POST", body: area.value || "[]", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        out.textContent = out.getAttribute("data-label") + ": " + (data.errors ? data.errors.join(" ") : data.count);
        out.setAttribute("data-count", data.errors ? "" : String(data.count));
      });
  }
  function later() { clearTimeout(timer); timer = setTimeout(show, 300); }
  area.addEventListener("input", function () { if (C) { draw(); } later(); });
  if (!root) { show(); return; }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function picker(options, value, name, blank) {
    var sel = el("select", {"class": "form-control input-sm rule-value", "data-name": name});
    if (blank) { sel.appendChild(el("option", {value: ""}, C.words.choose)); }
    options.forEach(function (o) {
      var opt = el("option", {value: String(o[0])}, o[1]);
      if (value !== undefined && value !== null && String(value) === String(o[0])) { opt.selected = true; }
      sel.appendChild(opt);
    });
    sel.addEventListener("change", write);
    return sel;
  }
  function number(name, value, label, min, max) {
    var box = el("label", {"class": "rule-number"}, label + " ");
    var input = el("input", {type: "number", min: String(min), max: String(max), "class": "form-control input-sm rule-value",
      "data-name": name, style: "width:5em"});
    if (value !== undefined && value !== null && value !== "") { input.value = String(value); }
    input.addEventListener("input", write);
    box.appendChild(input);
    return box;
  }
  function text(name, value) {
    var input = el("input", {type: "text", "class": "form-control input-sm rule-value", "data-name": name,
      placeholder: C.words.region_hint});
    input.value = value || "";
    input.addEventListener("input", write);
    return input;
  }
  function classes(value) {
    var span = el("span", {"class": "rule-classes"});
    ["A", "B", "C"].forEach(function (k) {
      var label = el("label", {"class": "checkbox-inline"});
      var box = el("input", {type: "checkbox", value: k, "class": "rule-class"});
      box.checked = String(value || "").toUpperCase().indexOf(k) >= 0;
      box.addEventListener("change", write);
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + k));
      span.appendChild(label);
    });
    return span;
  }

  // the value inputs of each kind, filled from a stored rule
  var FIELDS = {
    bought_item: function (r) { return [picker(C.items, r.item_id, "item_id", true)]; },
    bought_group: function (r) { return [picker(C.groups, r.group_id, "group_id", true)]; },
    no_order_months: function (r) { return [number("months", r.months === undefined ? 6 : r.months, C.words.months, 1, 240)]; },
    abc: function (r) { return [classes(r.classes === undefined ? "A" : r.classes)]; },
    rfm: function (r) {
      return [number("r", r.r, C.words.recency, 1, 5), number("f", r.f, C.words.frequency, 1, 5),
              number("m", r.m, C.words.monetary, 1, 5)];
    },
    region: function (r) { return [text("text", r.text)]; },
    tag: function (r) { return [picker(C.tags, r.tag_id, "tag_id", true)]; },
    manager: function (r) { return [picker(C.managers, r.user_id, "user_id", true)]; },
    language: function (r) { return [picker(C.languages, r.language || C.languages[0][0], "language", false)]; },
    open_service_request: function () { return []; }
  };
  var INTS = {item_id: 1, group_id: 1, months: 1, r: 1, f: 1, m: 1, tag_id: 1, user_id: 1};

  function row(rule) {
    var line = el("div", {"class": "form-inline segment-rule", style: "margin-bottom:6px"});
    var kind = picker(C.kinds, rule.kind, "kind", false);
    kind.classList.remove("rule-value");
    kind.classList.add("rule-kind");
    var values = el("span", {"class": "rule-values"});
    var notLabel = el("label", {"class": "checkbox-inline"});
    var not = el("input", {type: "checkbox", "class": "rule-not"});
    not.checked = !!rule.not;
    not.addEventListener("change", write);
    notLabel.appendChild(not);
    notLabel.appendChild(document.createTextNode(" " + C.words.not));
    var remove = el("button", {type: "button", "class": "btn btn-xs btn-default rule-remove", title: C.words.remove});
    remove.appendChild(el("i", {"class": "fa fa-times"}));
    remove.appendChild(document.createTextNode(" " + C.words.remove));
    remove.addEventListener("click", function () { line.parentNode.removeChild(line); write(); });
    function fill(r) {
      values.innerHTML = "";
      FIELDS[kind.value](r).forEach(function (n) { values.appendChild(n); values.appendChild(document.createTextNode(" ")); });
    }
    kind.addEventListener("change", function () { fill({}); write(); });
    [notLabel, document.createTextNode(" "), kind, document.createTextNode(" "), values, remove]
      .forEach(function (n) { line.appendChild(n); });
    fill(rule);
    return line;
  }

  function value(line) {
    var rule = {kind: line.querySelector(".rule-kind").value};
    line.querySelectorAll(".rule-value").forEach(function (input) {
      var name = input.getAttribute("data-name"), v = input.value;
      if (v === "") { return; }
      rule[name] = INTS[name] ? parseInt(v, 10) : v;
    });
    var boxes = line.querySelectorAll(".rule-class");
    if (boxes.length) {
      rule.classes = Array.prototype.filter.call(boxes, function (b) { return b.checked; })
        .map(function (b) { return b.value; }).join("");
    }
    if (line.querySelector(".rule-not").checked) { rule.not = true; }
    return rule;
  }

  function write() {
    var rules = Array.prototype.map.call(rowsBox.querySelectorAll(".segment-rule"), value);
    var stored = combine.value === "any" && rules.length > 1 ? [{kind: "any", rules: rules}] : rules;
    area.value = JSON.stringify(stored);
    later();
  }

  // the stored JSON as {combine, rules}, or null when the builder can't draw it
  function read(textValue) {
    var rules;
    try { rules = JSON.parse(textValue || "[]"); } catch (e) { return null; }
    if (!Array.isArray(rules)) { return null; }
    var how = "all";
    if (rules.length === 1 && rules[0] && rules[0].kind === "any" && !rules[0].not && Array.isArray(rules[0].rules)) {
      how = "any";
      rules = rules[0].rules;
    }
    var drawable = rules.every(function (r) { return r && typeof r === "object" && FIELDS.hasOwnProperty(r.kind); });
    return drawable ? {combine: how, rules: rules} : null;
  }

  var notice = null;
  function draw() {
    var state = read(area.value);
    notice.style.display = state ? "none" : "";
    rowsBox.style.display = state ? "" : "none";
    if (!state) { return; }
    rowsBox.innerHTML = "";
    combine.value = state.combine;
    state.rules.forEach(function (r) { rowsBox.appendChild(row(r)); });
  }

  function start() {
    // the builder and the count sit in the form's rules cell, above the JSON they write
    area.parentNode.insertBefore(root, area);
    area.parentNode.insertBefore(out, area);
    area.setAttribute("rows", "3");
    area.setAttribute("title", "JSON");
    area.classList.add("form-control");
    area.style.fontFamily = "monospace";
    area.style.fontSize = "11px";
    var head = el("div", {"class": "form-inline", style: "margin-bottom:8px"});
    head.appendChild(document.createTextNode(C.words.match + " "));
    combine = picker([["all", C.words.all], ["any", C.words.any]], "all", "combine", false);
    combine.classList.remove("rule-value");
    combine.id = "segment-combine";
    head.appendChild(combine);
    rowsBox = el("div", {"class": "segment-rules"});
    notice = el("p", {"class": "text-warning small", style: "display:none"}, C.words.json_only);
    var add = el("button", {type: "button", "class": "btn btn-sm btn-default", id: "segment-add-rule"});
    add.appendChild(el("i", {"class": "fa fa-plus"}));
    add.appendChild(document.createTextNode(" " + C.words.add));
    add.addEventListener("click", function () { rowsBox.appendChild(row({kind: C.kinds[0][0]})); write(); });
    [head, rowsBox, notice, add].forEach(function (n) { root.appendChild(n); });
    draw();
    show();
  }

  fetch(root.getAttribute("data-choices-url"), {credentials: "same-origin"})
    .then(function (r) { return r.json(); })
    .then(function (choices) { C = choices; start(); })
    .catch(function () { show(); });
})();
