/* The deals board (crm_kanban.html): dragging a card to another stage posts {deal_id, stage_id, reason}
 * to the board's data-move-url with its data-csrf token; a refusal puts the card back and says why.
 * Cards move only for users who may write deals (data-can-write). */
(function () {
  "use strict";
  var board = document.getElementById("kanban");
  var box = document.getElementById("kanban-message");
  var canWrite = board.dataset.canWrite === "1";
  function show(messages) {
    box.textContent = messages.join(" ");
    box.style.display = messages.length ? "" : "none";
    box.classList.toggle("alert-danger", messages.length > 0);  // an empty page shows no error box
  }
  function revert(evt) {
    var ref = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, ref);
  }
  function update(columns) {
    Object.keys(columns).forEach(function (id) {
      var col = board.querySelector(".kanban-col[data-stage='" + id + "']");
      if (!col) return;
      col.querySelector(".col-count").textContent = columns[id].count;
      col.querySelector(".col-totals").innerHTML = columns[id].totals;
    });
  }
  function onMove(evt) {
    if (evt.from === evt.to) return;
    var target = evt.to.closest(".kanban-col");
    var body = {deal_id: evt.item.dataset.deal, stage_id: target.dataset.stage};
    if (target.dataset.lost === "1") {
      var reason = window.prompt(board.dataset.reasonPrompt);
      if (!reason) { revert(evt); return; }
      body.reason = reason;
    }
    fetch(board.dataset.moveUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": board.dataset.csrf},
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {ok: false, messages: [board.dataset.error]}; });
    }).then(function (data) {
      if (!data.ok) { revert(evt); show(data.messages || [board.dataset.error]); return; }
      show([]); update(data.columns); evt.item.dataset.stage = target.dataset.stage;
    }).catch(function () { revert(evt); show([board.dataset.error]); });
  }
  if (!canWrite) return;
  board.querySelectorAll(".kanban-list").forEach(function (list) {
    Sortable.create(list, {group: "deals", animation: 120, draggable: ".deal-card", onAdd: onMove});
  });
})();
