// Marks each validation problem on its element: a red outline and the message beside it. Problems
// about no element of the diagram (the file, a form) stay only in the page's list.

/** Mark the problems on the canvas; the ids of the elements marked. */
export function markProblems(modeler, problems) {
  const registry = modeler.get("elementRegistry");
  const canvas = modeler.get("canvas");
  const overlays = modeler.get("overlays");
  const messages = {};
  problems.forEach(function (problem) {
    if (registry.get(problem.element_id)) {
      (messages[problem.element_id] = messages[problem.element_id] || []).push(problem.message);
    }
  });
  Object.keys(messages).forEach(function (id) {
    canvas.addMarker(id, "gee-problem");
    const note = document.createElement("div");
    note.className = "gee-problem-note";
    note.dataset.elementId = id;
    note.setAttribute("role", "note");
    messages[id].forEach(function (message) {
      const line = document.createElement("p");
      line.textContent = message;
      note.appendChild(line);
    });
    overlays.add(id, "gee-problem", { position: { bottom: -4, left: 0 }, html: note });
  });
  return Object.keys(messages);
}

/** The element ids of the problem list become buttons that select and show their element. */
export function linkProblemList(modeler, marked) {
  const selection = modeler.get("selection");
  const registry = modeler.get("elementRegistry");
  const canvas = modeler.get("canvas");
  document.querySelectorAll("#problems [data-element-id]").forEach(function (cell) {
    const id = cell.dataset.elementId;
    if (marked.indexOf(id) < 0) { return; }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-link btn-sm p-0 font-monospace";
    button.textContent = id;
    button.addEventListener("click", function () {
      const element = registry.get(id);
      canvas.scrollToElement(element);
      selection.select(element);
    });
    cell.replaceChildren(button);
  });
}
