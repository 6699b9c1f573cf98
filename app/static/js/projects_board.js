/* A project's board (projects/board.html): a card dragged to another column posts {task_id, state, position}
 * through the shared board script (drag_board.js, as the deals board); a refusal puts it back and says why. */
(function () {
  "use strict";
  var board = document.getElementById("task-board");
  if (!board) return;
  FabrikaBoard.init(board, document.getElementById("board-message"), {
    lists: ".board-list", group: "tasks", draggable: ".task-card",
    body: function (evt) {
      return {task_id: evt.item.dataset.task, state: evt.to.dataset.state, position: evt.newIndex};
    },
    done: function (evt, data) { evt.item.dataset.state = data.state; },
    after: function () {
      board.querySelectorAll(".board-col").forEach(function (col) {
        col.querySelector(".col-count").textContent = col.querySelectorAll(".task-card").length;
      });
    }
  });
})();
