/* The deals board (crm_kanban.html): a card dragged to another stage posts {deal_id, stage_id, reason} through
 * the shared board script (drag_board.js); a lost stage asks for the reason first; a refusal puts the card
 * back and says why; an accepted move redraws the stages' counts and totals from the answer. */
(function () {
  "use strict";
  var board = document.getElementById("kanban");
  if (!board) return;
  FabrikaBoard.init(board, document.getElementById("kanban-message"), {
    lists: ".kanban-list", group: "deals", draggable: ".deal-card",
    body: function (evt) {
      var target = evt.to.closest(".kanban-col");
      var body = {deal_id: evt.item.dataset.deal, stage_id: target.dataset.stage};
      if (target.dataset.lost === "1") {
        var reason = window.prompt(board.dataset.reasonPrompt);
        if (!reason) return null;
        body.reason = reason;
      }
      return body;
    },
    done: function (evt, data) {
      Object.keys(data.columns).forEach(function (id) {
        var col = board.querySelector(".kanban-col[data-stage='" + id + "']");
        if (!col) return;
        col.querySelector(".col-count").textContent = data.columns[id].count;
        col.querySelector(".col-totals").innerHTML = data.columns[id].totals;
      });
      evt.item.dataset.stage = evt.to.closest(".kanban-col").dataset.stage;
    }
  });
})();
