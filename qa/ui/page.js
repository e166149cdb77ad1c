() => {
  // Fineprint's page script. Markers ([n]) and chips show their own answer's sources in the
  // panel, scrolling only the panel; a marker previews its quoted sentence; a new answer is
  // brought into view from its top; example questions ask themselves. Text is copied with
  // textContent, never as HTML.
  const $ = (selector, root = document) => root.querySelector(selector);
  const FLASH_MS = 1600;

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

  const scroller = (element) => {
    for (let node = element.parentElement; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (/(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight) {
        return node;
      }
      if (node.id === "fp-sources" || node.classList.contains("fp-inline-sources")) return node;
    }
    return null;
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
    if (turn && panelShown()) showTurn(turn);
    const target = targetOf(link);
    if (!target) return;
    scrollWithin(scroller(target), target);
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

  const showPreview = (link) => {
    const text = quoteOf(link);
    if (!text) return;
    clearTimeout(hideTimer);
    preview.textContent = text;
    preview.hidden = false;
    link.setAttribute("aria-describedby", "fp-preview");
    const box = link.getBoundingClientRect();
    const width = preview.offsetWidth;
    const left = Math.max(8, Math.min(box.left, window.innerWidth - width - 8));
    const below = box.bottom + 6;
    const top = below + preview.offsetHeight > window.innerHeight - 8
      ? box.top - preview.offsetHeight - 6 : below;
    preview.style.left = `${left}px`;
    preview.style.top = `${Math.max(8, top)}px`;
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
      if (link.classList.contains("fp-cite")) {
        // A tap has no hover: the preview shows for a while.
        showPreview(link);
        clearTimeout(hideTimer);
        hideTimer = setTimeout(hidePreview, 4000);
      }
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
    if (link) showPreview(link); else hidePreview();
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
  if (!watchChat()) {
    const wait = setInterval(() => { if (watchChat()) clearInterval(wait); }, 200);
  }
}
