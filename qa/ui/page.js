() => {
  // Fineprint's page script. Markers ([n]) and chips show their own answer's sources in the
  // panel, scrolling only the panel so the document card's title and the highlighted quote
  // are in view; hovering or focusing a marker previews its quoted sentence beside, never
  // over, the passage. On a phone (no panel) a tap on a marker moves the page straight to that
  // answer's own copy of the passage (the answer's inline sources), without a preview. A new
  // answer is brought into view from its top; example questions ask themselves; "See how this
  // changed" opens the changes tab on the cited version. Text is copied with textContent,
  // never as HTML.
  const $ = (selector, root = document) => root.querySelector(selector);
  const FLASH_MS = 1600;
  // The document id of a followed "See how this changed" until its view has rendered.
  let awaitingChanges = "";

  const panelShown = () => {
    const column = document.getElementById("fp-sources-col");
    return !!column && getComputedStyle(column).display !== "none";
  };

  // Scroll `box` (a scrolling element) so `target` is near its top; the page never moves.
  const scrollWithin = (box, target) => {
    if (!box || !target) return;
    // The panel's heading sticks to its top: the target goes just below it.
    const head = target.closest(".fp-turn-sources")?.querySelector(".fp-turn-head");
    const covered = head && box.id === "fp-sources" ? head.offsetHeight : 0;
    const offset = target.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop += offset - covered - 8;
  };

  // The panel ends at the window's bottom wherever it starts (below the header until the page
  // scrolls and it sticks), so nothing it scrolls to is left below the window.
  const fitPanel = () => {
    const panel = document.getElementById("fp-sources");
    if (!panel || !panelShown()) return;
    const top = Math.max(panel.getBoundingClientRect().top, 0);
    panel.style.setProperty("max-height", `${Math.max(240, window.innerHeight - top - 8)}px`, "important");
  };
  window.addEventListener("resize", fitPanel);
  window.addEventListener("scroll", fitPanel, { passive: true });

  // Bring a cited passage into view inside `box` (the panel), or the window when `box` is
  // null (a phone): its document card's title and metadata and its highlighted quote together
  // when they fit, else the passage's head and quote, else the quote's start. Nothing moves
  // when all of that is in view already.
  const reveal = (box, target) => {
    if (!target) return;
    if (box) fitPanel();
    const card = target.closest(".fp-doc") || target;
    const marks = target.querySelectorAll("mark.fp-quote");
    const first = marks.length ? marks[0] : target;
    const last = marks.length ? marks[marks.length - 1] : target;
    let top = 0;
    let bottom = window.innerHeight;
    if (box) {
      const rect = box.getBoundingClientRect();
      top = Math.max(rect.top, 0);
      bottom = Math.min(rect.bottom, window.innerHeight);
      const head = target.closest(".fp-turn-sources")?.querySelector(".fp-turn-head");
      if (head) top += head.offsetHeight;
    } else {
      const ask = document.getElementById("fp-ask-row");
      if (ask && getComputedStyle(ask).position === "sticky") bottom -= ask.offsetHeight;
    }
    const cardTop = card.getBoundingClientRect().top;
    const quoteTop = first.getBoundingClientRect().top;
    const quoteBottom = last.getBoundingClientRect().bottom;
    if (cardTop >= top && quoteBottom <= bottom) return;
    const room = bottom - top - 16;
    const targetTop = target.getBoundingClientRect().top;
    let anchor = quoteTop;
    if (quoteBottom - cardTop <= room) anchor = cardTop;
    else if (quoteBottom - targetTop <= room) anchor = targetTop;
    const delta = anchor - top - 8;
    if (box) box.scrollTop += delta;
    else window.scrollTo({ top: window.scrollY + delta });
  };

  const showTurn = (turn) => {
    document.querySelectorAll("#fp-sources .fp-turn-sources").forEach((section) => {
      section.hidden = section.dataset.turn !== String(turn);
    });
    const panel = $("#fp-sources .fp-sources");
    if (panel) panel.dataset.active = String(turn);
  };

  // The element a marker or chip leads to: in the panel, or on a phone the answer's own copy.
  const targetOf = (link) => {
    const id = (link.getAttribute("href") || "").replace(/^#/, "");
    if (!id) return null;
    if (panelShown()) return document.getElementById(id);
    return document.getElementById(id.replace(/^fp-t/, "fp-m"));
  };

  const follow = (link) => {
    const turn = link.dataset.turn;
    const panel = panelShown();
    if (turn && panel) showTurn(turn);
    const target = targetOf(link);
    if (!target) return;
    if (link.classList.contains("fp-chip")) {
      // A chip leads to its document's card: its top.
      if (panel) scrollWithin(document.getElementById("fp-sources"), target);
      else reveal(null, target);
    } else {
      // On a phone the page itself moves to the answer's own copy of the passage.
      reveal(panel ? document.getElementById("fp-sources") : null, target);
    }
    target.classList.add("fp-flash");
    setTimeout(() => target.classList.remove("fp-flash"), FLASH_MS);
    // Keyboard users continue from the source; preventScroll keeps the page where it is.
    if (link.matches(":focus-visible")) target.focus({ preventScroll: true });
  };

  // The preview of a marker: its passage's highlighted sentences, as text.
  const preview = document.createElement("div");
  preview.id = "fp-preview";
  preview.setAttribute("role", "tooltip");
  preview.hidden = true;
  document.body.appendChild(preview);
  let hideTimer = null;

  const quoteOf = (link) => {
    const id = (link.getAttribute("href") || "").replace(/^#/, "");
    const card = document.getElementById(id) || document.getElementById(id.replace(/^fp-t/, "fp-m"));
    if (!card) return "";
    const marks = Array.from(card.querySelectorAll("mark.fp-quote"));
    return marks.map((mark) => mark.textContent.trim()).join(" … ");
  };

  // The preview goes below the marker, or above it, never over the passage it quotes: on a
  // wide screen it stays over the conversation, left of the sources panel.
  const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const showPreview = (link) => {
    const text = quoteOf(link);
    if (!text) return;
    clearTimeout(hideTimer);
    preview.textContent = text;
    preview.hidden = false;
    link.setAttribute("aria-describedby", "fp-preview");
    const box = link.getBoundingClientRect();
    let right = window.innerWidth - 8;
    const column = document.getElementById("fp-sources-col");
    if (panelShown() && column) {
      const edge = column.getBoundingClientRect().left - 8;
      if (edge >= 200) right = edge;
    }
    preview.style.maxWidth = `${Math.max(160, Math.min(448, right - 8))}px`;
    const width = preview.offsetWidth;
    const height = preview.offsetHeight;
    const left = Math.max(8, Math.min(box.left, right - width));
    const target = targetOf(link);
    const quotes = target ? Array.from(target.querySelectorAll("mark.fp-quote")) : [];
    const below = box.bottom + 6;
    const above = box.top - height - 6;
    const fits = (top) => top >= 8 && top + height <= window.innerHeight - 8;
    const covers = (top) => {
      const rect = { left, right: left + width, top, bottom: top + height };
      return quotes.some((mark) => overlaps(rect, mark.getBoundingClientRect()));
    };
    const choices = [below, above].filter(fits);
    const top = choices.find((t) => !covers(t)) ?? choices[0] ?? Math.max(8, above);
    preview.style.left = `${left}px`;
    preview.style.top = `${top}px`;
  };

  const hidePreview = () => {
    preview.hidden = true;
    document.querySelectorAll('a.fp-cite[aria-describedby="fp-preview"]').forEach((link) => {
      link.removeAttribute("aria-describedby");
    });
  };

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const link = target.closest("a.fp-cite, a.fp-chip");
    if (link) {
      event.preventDefault();
      event.stopPropagation();
      follow(link);
      if (link.classList.contains("fp-cite") && panelShown()) {
        // The passage shows in the panel; the quote stays previewed by the marker a while.
        showPreview(link);
        clearTimeout(hideTimer);
        hideTimer = setTimeout(hidePreview, 4000);
      } else {
        // On a phone a tap goes straight to the passage, quote highlighted: no preview.
        hidePreview();
      }
      return;
    }
    const seeChanges = target.closest("a.fp-see-changes");
    if (seeChanges) {
      // The changes tab opens on this version: its document id goes to the server as data.
      event.preventDefault();
      event.stopPropagation();
      hidePreview();
      const box = $("#fp-changes-link textarea, #fp-changes-link input");
      const go = $("#fp-changes-go");
      if (!box || !go) return;
      box.value = JSON.stringify({ doc: seeChanges.dataset.doc || "", lang: seeChanges.dataset.lang || "en" });
      box.dispatchEvent(new Event("input", { bubbles: true }));
      awaitingChanges = seeChanges.dataset.doc || "";
      setTimeout(() => go.click(), 50);
      return;
    }
    const example = target.closest("button.fp-example");
    if (example) {
      event.preventDefault();
      const box = $("#fp-question textarea, #fp-question input");
      const ask = $("#fp-ask");
      if (!box || !ask) return;
      box.value = example.dataset.question || example.textContent || "";
      box.dispatchEvent(new Event("input", { bubbles: true }));
      // Let the page register the new value before asking.
      setTimeout(() => ask.click(), 50);
      return;
    }
    hidePreview();
  }, true);

  // Once a followed "See how this changed" has rendered its view, bring the view's heading
  // into view and focus it, so keyboard and screen-reader users continue from there.
  new MutationObserver(() => {
    if (!awaitingChanges) return;
    const view = $("#fp-changes .fp-changes");
    // Only the view of this request, once its tab is shown (a hidden element takes no focus).
    if (!view || !view.getClientRects().length || view.dataset.pending) return;
    const doc = awaitingChanges;
    if (view.dataset.old !== doc && view.dataset.new !== doc && !$(".fp-changes-message", view)) return;
    awaitingChanges = "";
    const heading = $("#fp-changes-view") || view;
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
    heading.scrollIntoView({ block: "start" });
  }).observe(document.body, { childList: true, subtree: true });

  document.addEventListener("mouseover", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.fp-cite") : null;
    if (link) showPreview(link);
  });
  document.addEventListener("mouseout", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.fp-cite") : null;
    if (link) hideTimer = setTimeout(hidePreview, 150);
  });
  document.addEventListener("focusin", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.fp-cite") : null;
    // Keyboard focus previews; the focus a tap or click gives is left to the click.
    if (link && link.matches(":focus-visible")) showPreview(link); else hidePreview();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hidePreview();
  });

  // A new answer: bring its top (the question, then the answer's start) into view, and keep
  // it there while the answer streams in (it may be too short to scroll to at first).
  let shownTurns = 0;
  let following = 0;
  const bringIntoView = (chat, turn) => {
    if (chat.scrollHeight > chat.clientHeight) {
      scrollWithin(chat, turn);
      return;
    }
    const top = turn.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.6) {
      window.scrollTo({ top: window.scrollY + top - 8 });
    }
  };
  const watchChat = () => {
    const chat = document.getElementById("fp-chat");
    if (!chat) return false;
    new MutationObserver(() => {
      fitPanel();
      const conversation = $(".fp-conversation", chat);
      const turns = conversation ? Number(conversation.dataset.turns || 0) : 0;
      if (turns > shownTurns) following = turns;
      shownTurns = turns;
      if (!following) return;
      const turn = document.getElementById(`fp-turn-${following}`);
      if (!turn) { following = 0; return; }
      bringIntoView(chat, turn);
      if (!turn.hasAttribute("aria-busy")) following = 0;
    }).observe(chat, { childList: true, subtree: true, characterData: true });
    return true;
  };
  fitPanel();
  if (!watchChat()) {
    const wait = setInterval(() => { if (watchChat()) clearInterval(wait); }, 200);
  }
}
