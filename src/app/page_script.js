// Dialtone's page script: inline in every page (with the response's CSP nonce), called with the
// bundle's file names. It does two things:
// 1. Plain forms' submit buttons marked `data-busy` say the form is being sent and are disabled once
//    the browser sends it (a form it refuses to send, a `required` field left empty, leaves them as
//    they are); a page restored with Back shows them ready again. No WebAssembly needed.
// 2. Only when the page has an island (`<leptos-island>`), it loads the bundle (JS glue and wasm)
//    when the browser is idle and hydrates each island; a page without one downloads neither. If the
//    bundle fails to load, the page shows its no-JavaScript form.
((jsPath, wasmPath) => {
  const sent = new Map();
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-busy]") : null;
    if (!button || !button.form || !button.form.checkValidity()) return;
    // After the click has started the submission: a button disabled during its own click would cancel it.
    setTimeout(() => {
      if (!sent.has(button)) sent.set(button, button.textContent);
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = button.dataset.busy;
    }, 0);
  });
  addEventListener("pageshow", () => {
    for (const [button, text] of sent) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = text;
    }
    sent.clear();
  });

  if (!document.querySelector("leptos-island")) return;
  // An island's children (`<leptos-children>`) are hydrated with the callback their island left on
  // the element, so the innermost enclosing one is kept on a stack while walking.
  const childrenHooks = [];
  async function walk(node, bundle) {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const tag = node.localName;
    if (tag === "leptos-island") {
      const hydrateIsland = bundle[node.dataset.component];
      if (hydrateIsland) {
        const hook = childrenHooks[childrenHooks.length - 1];
        if (hook) hook();
        await hydrateIsland(node);
      } else {
        console.warn(`no island named ${node.dataset.component} in the bundle`);
      }
    }
    const isChildren = tag === "leptos-children";
    if (isChildren) childrenHooks.push(node.$$on_hydrate);
    for (const child of node.children) await walk(child, bundle);
    if (isChildren) childrenHooks.pop();
  }
  // If the bundle cannot be loaded (blocked, offline), the page falls back to its no-JavaScript form:
  // styles that show an island's first state under `html.js` (the wizard's current step) let go.
  const start = () =>
    import(jsPath)
      .then(async (bundle) => {
        await bundle.default({ module_or_path: wasmPath });
        bundle.hydrate();
        await walk(document.body, bundle);
      })
      .catch((error) => {
        document.documentElement.classList.remove("js");
        console.error("the page's interactive parts could not be loaded", error);
      });
  if ("requestIdleCallback" in window) requestIdleCallback(start);
  else start();
})
