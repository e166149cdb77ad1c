() => {
  // Citation markers in the chat scroll the sources panel to their passage and flash it.
  document.addEventListener("click", (event) => {
    const link = event.target.closest ? event.target.closest("a.fp-cite") : null;
    if (!link) return;
    const id = (link.getAttribute("href") || "").replace(/^#/, "");
    const card = id ? document.getElementById(id) : null;
    event.preventDefault();
    event.stopPropagation();
    if (!card) return;
    card.scrollIntoView({ behavior: "smooth", block: "center" });
    card.classList.add("fp-flash");
    setTimeout(() => card.classList.remove("fp-flash"), 1600);
  }, true);
}
