/* A board whose cards are dragged between columns (the deals board, a project's task board): the one place
 * that posts a move and handles its answer. FabrikaBoard.init(board, box, options) makes every `options.lists`
 * list of `board` sortable (Sortable, vendored) when board.dataset.canWrite is "1"; a card dropped in another
 * column posts options.body(evt) (null: the move is given up and the card goes back) as JSON to
 * board.dataset.moveUrl with the board's data-csrf token. An answer {ok: true, ...} goes to options.done(evt,
 * data); a refusal {ok: false, messages} or a failure puts the card back and shows the messages in `box`
 * (board.dataset.error when there are none). options.after() runs after every answer (counts per column). */
(function () {
  "use strict";
  function init(board, box, options) {
    if (!board || board.dataset.canWrite !== "1") return;
    var after = options.after || function () {};
    function show(messages) {
      box.textContent = messages.join(" ");
      box.style.display = messages.length ? "" : "none";
      box.classList.toggle("alert-danger", messages.length > 0);  // an empty page shows no error box
    }
    function revert(evt) {
      evt.from.insertBefore(evt.item, evt.from.children[evt.oldIndex] || null);
    }
    function refuse(evt, messages) {
      revert(evt); after(); show(messages && messages.length ? messages : [board.dataset.error]);
    }
    function onMove(evt) {
      if (evt.from === evt.to) return;
      var body = options.body(evt);
      if (!body) { revert(evt); return; }
      fetch(board.dataset.moveUrl, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": board.dataset.csrf},
        body: JSON.stringify(body)
      }).then(function (resp) {
        return resp.json().catch(function () { return {ok: false, messages: [board.dataset.error]}; });
      }).then(function (data) {
        if (!data.ok) { refuse(evt, data.messages); return; }
        show([]); options.done(evt, data); after();
      }).catch(function () { refuse(evt, []); });
    }
    board.querySelectorAll(options.lists).forEach(function (list) {
      Sortable.create(list, {group: options.group, animation: 120, draggable: options.draggable, onAdd: onMove});
    });
  }
  window.FabrikaBoard = {init: init};
})();
