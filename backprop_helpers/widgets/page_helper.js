function set(element, name, value) {
  if (element.getAttribute(name) !== value) element.setAttribute(name, value);
}

function label(root, model) {
  for (const slider of root.querySelectorAll(".widget-slider")) {
    const name = (slider.querySelector(":scope > .widget-label")?.textContent || "").trim();
    const value = (slider.querySelector(":scope > .widget-readout")?.textContent || "").trim();
    const disabled = slider.querySelector(".slider[disabled]") !== null;
    for (const handle of slider.querySelectorAll(".noUi-handle")) {
      if (name) set(handle, "aria-label", name);
      if (value) set(handle, "aria-valuetext", value);
      set(handle, "aria-disabled", disabled ? "true" : "false");
    }
  }
  for (const group of root.querySelectorAll(".widget-toggle-buttons")) {
    const name = (group.querySelector(":scope > .widget-label")?.textContent || "").trim();
    set(group, "role", "group");
    if (name) set(group, "aria-label", name);
    for (const button of group.querySelectorAll("button")) {
      set(button, "aria-pressed", button.classList.contains("mod-active") ? "true" : "false");
    }
  }
  for (const control of root.querySelectorAll("select, button, input, .noUi-handle, .widget-readout")) {
    set(control, "data-lm-suppress-shortcuts", "true");
  }
  const copy = root.querySelector(".bp-alt");
  const alt = copy ? copy.textContent.replace(/^\s*Figure:\s*/, "").trim() : "";
  for (const img of root.querySelectorAll("img.bp-figure")) set(img, "alt", alt);
  if (copy) set(copy, "aria-hidden", "true");
  for (const area of root.querySelectorAll(".bp-live")) set(area, "aria-live", "polite");
}

// Pictures ahead of the kernel (backprop_helpers/widgets/ahead.py). After a slider move the kernel
// sends the pictures of that slider's next moves (one step up, one step down) with what every control
// held when they were drawn (base). When a control changes here and the change is one of those moves,
// the picture is shown at once, before any message leaves the page; the kernel's own picture of the
// same settings follows and replaces it (the page's arithmetic may land a hair from the value the
// picture was drawn for; the kernel then takes the picture's value). A set is used at most once, and dropped when the page's
// controls no longer hold its base or when any other picture arrives.
function ahead(model, root) {
  const controls = new Map();                  // model id -> the control's model in this page
  const listeners = [];
  let set = null;                              // the pictures in hand: {base, frames}
  let shown = "";                              // the address of the last picture shown from a set
  let stopped = false;

  const equal = (a, b) => a === b || (typeof a === "number" && typeof b === "number"
                                      && Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)));
  const holds = (base, except) => Object.entries(base).every(([id, [name, value]]) => {
    if (id === except) return true;
    const control = controls.get(id);
    return control !== undefined && equal(control.get(name), value);
  });
  const drop = () => {
    if (set) for (const frame of set.frames) if (frame.url !== shown) URL.revokeObjectURL(frame.url);
    set = null;
  };
  const receive = () => {
    drop();
    const sent = model.get("predictions") || {};
    if (stopped || !sent.frames || !sent.frames.length || !holds(sent.base, null)) return;
    set = { base: sent.base, frames: sent.frames.map((frame) => {
      const url = URL.createObjectURL(new Blob([frame.png], { type: "image/png" }));
      const image = new Image();               // decoded now, so that showing it costs no decoding
      image.src = url;
      image.decode().catch(() => {});
      return { slider: frame.slider, value: frame.value, tolerance: frame.tolerance, alt: frame.alt, url, image };
    }) };
  };
  const changed = (id, control) => {
    if (!set) return;
    const value = control.get("value");
    const frame = set.frames.find((f) => f.slider === id && Math.abs(f.value - value) <= f.tolerance);
    const img = root.querySelector("img.bp-figure");
    if (frame && img && holds(set.base, id)) {
      const previous = img.src;
      shown = frame.url;
      img.src = frame.url;
      img.alt = frame.alt;
      if (previous.startsWith("blob:") && previous !== frame.url) URL.revokeObjectURL(previous);
    }
    drop();
  };
  const pictures = new MutationObserver(() => {      // any other picture: the set no longer holds
    const img = root.querySelector("img.bp-figure");
    if (img && img.src !== shown) drop();
  });
  const img = root.querySelector("img.bp-figure");
  if (img) pictures.observe(img, { attributes: true, attributeFilter: ["src"] });

  const watch = (ids) => {
    for (const id of ids) {
      if (controls.has(id) || !model.widget_manager) continue;
      model.widget_manager.get_model(id).then((control) => {
        if (stopped || !control) return;
        controls.set(id, control);
        const onValue = () => changed(id, control);
        const onIndex = () => drop();
        control.on("change:value", onValue);
        control.on("change:index", onIndex);
        listeners.push(() => { control.off("change:value", onValue); control.off("change:index", onIndex); });
      }).catch(() => {});
    }
  };
  const onPredictions = () => { watch(Object.keys((model.get("predictions") || {}).base || {})); receive(); };
  const onControls = () => watch(model.get("controls") || []);
  model.on("change:predictions", onPredictions);
  model.on("change:controls", onControls);
  onControls();
  return () => {
    stopped = true;
    drop();
    pictures.disconnect();
    model.off("change:predictions", onPredictions);
    model.off("change:controls", onControls);
    for (const off of listeners) off();
  };
}

function render({ model, el }) {
  el.style.display = "none";
  let stopped = false, observer = null, root = null, tries = 0, media = null, forget = null;
  const relabel = () => { if (root) label(root, model); };
  const attach = () => {
    if (stopped) return;
    root = el.closest(".bp-explorer");
    if (!root) {                      // not in the page yet: look again at the next frame
      tries += 1;
      if (tries < 600) requestAnimationFrame(attach); else setTimeout(attach, 1000);
      return;
    }
    observer = new MutationObserver(relabel);
    observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true,
                             attributeFilter: ["class", "disabled"] });
    relabel();
    forget = ahead(model, root);
  };
  const report = () => {
    if (stopped) return;
    const ratio = window.devicePixelRatio || 1;
    if (model.get("device_pixel_ratio") !== ratio) {
      model.set("device_pixel_ratio", ratio);
      model.save_changes();
    }
    media = window.matchMedia(`(resolution: ${ratio}dppx)`);
    media.addEventListener("change", report, { once: true });
  };
  attach();
  report();
  return () => {
    stopped = true;
    if (observer) observer.disconnect();
    if (forget) forget();
    if (media) media.removeEventListener("change", report);
  };
}

export default { render };
