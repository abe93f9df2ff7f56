// GOV.UK's "warn users before a service times out": two minutes before an idle session ends, a modal
// dialog offers to stay signed in. Any page load also restarts the server's idle clock, as does
// "Stay signed in" (a request to the keep-alive address). When time runs out the dialog says so;
// the page stays, and what was typed is kept on the server if it is then sent, for signing in again.
const dialog = document.getElementById("timeout-warning");
const WARN_BEFORE = 120;

if (dialog && typeof dialog.showModal === "function") {
  const idle = Number(dialog.dataset.idleSeconds);
  const countdown = dialog.querySelector(".app-timeout-dialog__countdown");
  const stay = dialog.querySelector(".app-timeout-dialog__stay");
  let deadline = 0;
  let warnTimer = 0;
  let tickTimer = 0;

  const words = (seconds) => {
    if (seconds >= 60) {
      const minutes = Math.ceil(seconds / 60);
      return `${minutes} minute${minutes === 1 ? "" : "s"}`;
    }
    return `${seconds} second${seconds === 1 ? "" : "s"}`;
  };

  const tick = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (left === 0) {
      clearInterval(tickTimer);
      dialog.querySelector("#timeout-heading").textContent = "You have been signed out";
      dialog.querySelector("#timeout-message").textContent =
        "For your security, you were signed out. Anything you typed on this page is kept: " +
        "send the page as usual and you will be asked to sign in again to save it.";
      stay.textContent = "Close";
      return;
    }
    countdown.textContent = words(left);
  };

  const start = () => {
    clearTimeout(warnTimer);
    clearInterval(tickTimer);
    deadline = Date.now() + idle * 1000;
    warnTimer = setTimeout(() => {
      tick();
      dialog.showModal();
      tickTimer = setInterval(tick, 1000);
    }, Math.max(0, idle - WARN_BEFORE) * 1000);
  };

  stay.addEventListener("click", async () => {
    dialog.close();
    if (Date.now() >= deadline) return;
    const answer = await fetch(dialog.dataset.keepAlive, { credentials: "same-origin", redirect: "manual" });
    if (answer.status === 204) start();
  });
  dialog.addEventListener("cancel", (event) => event.preventDefault());
  start();
}
