// Render the site's Mermaid diagrams with the mermaid script shipped alongside (no CDN). Material's instant
// navigation replaces the page body, so diagrams are rendered again on every page it shows.
(function () {
  function render() {
    if (typeof mermaid === "undefined") return;
    // Natural width: the pathway is wide, and the page lets it scroll rather than shrink it.
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme: "default",
      flowchart: { useMaxWidth: false },
      state: { useMaxWidth: false },
    });
    mermaid.run({ querySelector: "div.mermaid:not([data-processed])" });
  }
  if (typeof document$ !== "undefined") document$.subscribe(render);
  else document.addEventListener("DOMContentLoaded", render);
})();
