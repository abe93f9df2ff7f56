// "Your PDF is being prepared": ask the status address every few seconds; once the PDF is drawn, say so in the
// live region with a link to it, and start the download. The server sends the PDF as an attachment, so the link
// carries no `download` (which would save whatever the address answers, a page included). After a few minutes
// stop asking: the link still works.
const status = document.getElementById("pdf-status");
const EVERY_MS = 2000;
const GIVE_UP_MS = 5 * 60 * 1000;

if (status) {
  const started = Date.now();
  status.textContent = "Waiting for the PDF\u2026";

  const ready = () => {
    status.textContent = "Your PDF is ready. ";
    const link = document.createElement("a");
    link.className = "govuk-link";
    link.href = status.dataset.pdfUrl;
    link.textContent = "Download the PDF";
    status.append(link);
    document.getElementById("pdf-try-again")?.parentElement?.remove();
    link.click();
  };

  const ask = async () => {
    try {
      const answer = await fetch(status.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (answer.ok && (await answer.json()).ready) {
        ready();
        return;
      }
    } catch {
      // A network hiccup: ask again next time.
    }
    if (Date.now() - started < GIVE_UP_MS) {
      setTimeout(ask, EVERY_MS);
    } else {
      status.textContent = "The PDF is taking longer than usual. Try the download again in a minute.";
    }
  };

  setTimeout(ask, EVERY_MS);
}
