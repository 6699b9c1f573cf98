/* A project's board (projects/board.html): dragging a card to another column posts {task_id, state, position}
 * to the board's data-move-url with its data-csrf token, as the deals board does; a refusal puts the card
 * back and says why. Cards move only for users who may write projects (data-can-write). */
(function () {
  "use strict";
  var board = document.getElementById("task-board");
  var box = document.getElementById("board-message");
  if (!board) return;
  function show(messages) {
    box.textContent = messages.join(" ");
    box.style.display = messages.length ? "" : "none";
    box.classList.toggle("alert-danger", messages.length > 0);
  }
  function revert(evt) {
    evt.from.insertBefore(evt.item, evt.from.children[evt.oldIndex] || null);
  }
  function counts() {
    board.querySelectorAll(".board-col").forEach(function (col) {
      col.querySelector(".col-count").textContent = col.querySelectorAll(".task-card").length;
    });
  }
  function onMove(evt) {
    if (evt.from === evt.to) return;
    var body = {task_id: evt.item.dataset.task, state: evt.to.dataset.state, position: evt.newIndex};
    fetch(board.dataset.moveUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": board.dataset.csrf},
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {ok: false, messages: [board.dataset.error]}; });
    }).then(function (data) {
      if (!data.ok) { revert(evt); counts(); show(data.messages || [board.dataset.error]); return; }
      show([]); counts(); evt.item.dataset.state = data.state;
    }).catch(function () { revert(evt); counts(); show([board.dataset.error]); });
  }
  if (board.dataset.canWrite !== "1") return;
  board.querySelectorAll(".board-list").forEach(function (list) {
    Sortable.create(list, {group: "tasks", animation: 120, draggable: ".task-card", onAdd: onMove});
  });
})();
