// Progressive enhancement: hide a question until the earlier answer on the same page that it
// depends on is given. Without JavaScript every question shows, each saying when it applies.
const questions = document.querySelectorAll("[data-show-if]");

function answerOf(form, name) {
  const inputs = form.querySelectorAll(`[name="${CSS.escape(name)}"]`);
  const values = [];
  for (const input of inputs) {
    if ((input.type === "radio" || input.type === "checkbox") && !input.checked) continue;
    if (input.value !== "") values.push(input.value);
  }
  return values;
}

function holds(condition, values) {
  if ("equals" in condition) return values.includes(String(condition.equals));
  if ("in" in condition) return condition.in.some((v) => values.includes(String(v)));
  if ("at_least" in condition) return values.some((v) => Number(v) >= condition.at_least);
  return true;
}

function update() {
  for (const question of questions) {
    const condition = JSON.parse(question.dataset.showIf);
    const shown = holds(condition, answerOf(question.closest("form"), condition.question));
    question.classList.toggle("app-question--hidden", !shown);
    question.querySelector(".app-condition")?.classList.toggle("govuk-visually-hidden", true);
  }
}

if (questions.length) {
  document.addEventListener("change", update);
  document.addEventListener("input", update);
  update();
}
