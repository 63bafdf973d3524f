// The training playground of lesson 08, drawn in the browser (an anywidget ES module, no build step).
//
// The kernel trains and sends frames: a JSON header and binary buffers (see frames.py). This module
// draws them: canvas heatmaps sized by the device pixel ratio, the network as SVG links and HTML
// nodes, the loss chart with axes, and every control as a labelled HTML element that works by
// keyboard. Frames wait in a short queue and each animation frame draws the oldest: one epoch per
// frame. While playing, the page asks for epochs after it has drawn one, in requestAnimationFrame,
// and only as many as keep the kernel a few epochs ahead of the screen (see requestTicks): nothing
// piles up and nothing waits on a timer.
//
// The colours come from the kernel (options.palette: the course's palette); none is written here.

const SVG = "http://www.w3.org/2000/svg";
const NODE = 34;            // a node's side, CSS px
const ROW_GAP = 9;          // between two nodes of a column
const HEAD = 52;            // room above the nodes for the column headings
const LEFT = 58;            // room left of the inputs for their labels
const MIN_STEP = 74;        // the narrowest distance between two columns
const PLANE_MARGIN = { left: 30, bottom: 22, top: 8, right: 6 };
const SUMMARY_EVERY_MS = 3000;  // the spoken summary changes at most this often while playing
const LOSS_HEIGHT = 96;
const MAX_AHEAD = 8;        // the most epochs the kernel may train ahead of the screen
const BATCH = 3;            // epochs asked for in one message while playing
const MAX_QUEUE = 2 * MAX_AHEAD;  // frames waiting beyond this (the page was hidden) are applied, not drawn

// ------------------------------------------------------------------------------------ helpers

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function s(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function hexRgb(hex) {
  const v = parseInt(hex.replace("#", ""), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

// 256 colours from negative through zero to positive; `pale` mixes both ends towards zero's colour.
function colourTable(palette, pale = 0) {
  const neg = hexRgb(palette.negative), zero = hexRgb(palette.zero), pos = hexRgb(palette.positive);
  const table = new Uint8ClampedArray(256 * 4);
  for (let q = 0; q < 256; q++) {
    const u = q / 255 * 2 - 1;
    const end = u < 0 ? neg : pos, a = Math.abs(u) * (1 - pale);
    for (let c = 0; c < 3; c++) table[4 * q + c] = Math.round(zero[c] + (end[c] - zero[c]) * a);
    table[4 * q + 3] = 255;
  }
  return table;
}

function cssColour(table, q) {
  q = Math.max(0, Math.min(255, Math.round(q)));
  return `rgb(${table[4 * q]},${table[4 * q + 1]},${table[4 * q + 2]})`;
}

// The buffers as typed arrays, named by the header (DataView, ArrayBuffer or a view: all work).
function decode(header, buffers) {
  const out = {};
  header.buffers.forEach(([name, dtype, shape], k) => {
    const b = buffers[k];
    let ab = b instanceof ArrayBuffer ? b : b.buffer;
    let offset = b instanceof ArrayBuffer ? 0 : b.byteOffset;
    const length = b.byteLength;
    const Type = dtype === "float32" ? Float32Array : Uint8Array;
    if (offset % Type.BYTES_PER_ELEMENT) { ab = ab.slice(offset, offset + length); offset = 0; }
    out[name] = { data: new Type(ab, offset, length / Type.BYTES_PER_ELEMENT), shape };
  });
  return out;
}

function median(list) {
  if (!list.length) return 0;
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// Append to a list of the latest 200 values.
function keep(list, value) {
  list.push(value);
  if (list.length > 200) list.shift();
}

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / power;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * power;
}

function ticks(lo, hi, count) {
  const step = niceStep(hi - lo, count);
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step) out.push(+v.toFixed(10));
  return out;
}

function fmt(v, digits = 3) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2).replace("-", "−");
  return v.toFixed(digits).replace("-", "−");
}

function tickLabel(v) {
  const a = Math.abs(v);
  const text = a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(0) : String(+v.toPrecision(6));
  return text.replace("-", "−");
}

// A canvas whose backing store follows the device pixel ratio; returns its context, scaled to CSS px.
function sizeCanvas(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(width * ratio)), hgt = Math.max(1, Math.round(height * ratio));
  if (canvas.width !== w || canvas.height !== hgt) { canvas.width = w; canvas.height = hgt; }
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

// Offscreen n x n images, one per size, reused for every heatmap.
const scratch = new Map();
function scratchImage(n) {
  if (!scratch.has(n)) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = n;
    const ctx = canvas.getContext("2d");
    scratch.set(n, { canvas, ctx, image: ctx.createImageData(n, n) });
  }
  return scratch.get(n);
}

// Draw an n x n grid of colour indices (0..255, or floats mapped from [lo, hi]) into a rectangle,
// smoothly scaled.
function paintGrid(ctx, values, offset, n, table, x, y, w, hgt, map = null) {
  const img = scratchImage(n);
  const px = img.image.data;
  for (let k = 0; k < n * n; k++) {
    const q = map ? map(values[offset + k]) : values[offset + k];
    const t = 4 * q;
    px[4 * k] = table[t]; px[4 * k + 1] = table[t + 1]; px[4 * k + 2] = table[t + 2]; px[4 * k + 3] = 255;
  }
  img.ctx.putImageData(img.image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "low";          // bilinear: smooth when enlarging, and cheap
  ctx.drawImage(img.canvas, 0, 0, n, n, x, y, w, hgt);
}

// -------------------------------------------------------------------------------------- view

class PlaygroundView {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.options = model.get("options");
    const pal = this.options.palette;
    this.table = colourTable(pal);
    this.paleTable = colourTable(pal, 0.35);
    this.layout = null;
    this.layoutId = -1;
    this.epoch = 0;
    this.trainLosses = [];
    this.testLosses = [];
    this.queue = [];               // frames received, not yet drawn
    this.arrivedLayout = -1;
    this.requested = 0;            // the last epoch asked for
    this.tickTimes = new Map();    // epoch asked for -> when
    this.raf = 0;
    this.drawn = 0;
    this.shown = null;             // {kind: "input" | "neuron", index} shown large on the plane
    this.cursor = null;            // the keyboard cursor on the plane, in data coordinates
    this.lastSummary = 0;
    this.cleanups = [];
    // the last 200 frames, read by the tests and the benchmark (root.bpgStats), in ms: a tick's round
    // trip (request to frame), a frame's wait in the queue, the drawing, the drawing and the browser's
    // rendering after it (style, layout, paint), the kernel's time, the time between animation
    // frames; and each frame's bytes and epoch
    this.stats = { roundTrip: [], wait: [], draw: [], render: [], bytes: [], kernel: [], interval: [], epochs: [] };
    this.afterRender = new MessageChannel();
    this.afterRender.port1.onmessage = () => keep(this.stats.render, performance.now() - this.rafStart);
    this.build();
    this.root.bpgStats = this.stats;
    // the round trip of a message without training (a ping), n times in a row, for the benchmark
    this.root.bpgPing = (n) => new Promise((resolve) => {
      this.pings = { times: [], n, resolve };
      this.model.send({ type: "ping", sent: performance.now() });
    });
    this.listen();
    this.model.send({ type: "hello" });
  }

  // ---------------------------------------------------------------- the static page
  build() {
    const o = this.options, pal = o.palette;
    // data-lm-suppress-shortcuts: no JupyterLab shortcut applies inside the playground (see listen())
    const root = this.root = h("div", { class: "bpg", role: "group", "aria-label": "training playground",
      "data-lm-suppress-shortcuts": "true" });
    root.style.setProperty("--bpg-text", pal.text);
    root.style.setProperty("--bpg-muted", pal.muted);
    root.style.setProperty("--bpg-negative", pal.negative);
    root.style.setProperty("--bpg-positive", pal.positive);
    root.style.setProperty("--bpg-zero", pal.zero);

    const select = (label, options, cls) => {
      const el = h("select", { class: cls, "aria-label": label });
      for (const [value, text] of options) el.append(h("option", { value: String(value), text }));
      return el;
    };
    this.resetButton = h("button", { class: "bpg-button", type: "button", "data-key": "reset" },
      h("span", { "aria-hidden": "true", text: "↺ " }), "reset");
    this.playButton = h("button", { class: "bpg-button bpg-play", type: "button", "data-key": "play" });
    this.stepButton = h("button", { class: "bpg-button", type: "button", "data-key": "step",
      title: "train one epoch" }, "step");
    this.epochText = h("span", { class: "bpg-epoch-value", text: "000,000" });
    const epoch = h("div", { class: "bpg-epoch" }, h("span", { class: "bpg-small", text: "Epoch" }), this.epochText);
    this.lrSelect = select("learning rate", o.learning_rates.map(v => [v, String(v)]), "bpg-lr");
    this.activationSelect = select("activation", o.activations.map(v => [v, v]), "bpg-activation");
    this.activationSelect.disabled = o.activation_locked;
    this.regSelect = select("regularisation", o.regularizations, "bpg-reg");
    this.regRateSelect = select("regularisation rate", o.reg_rates.map(v => [v, String(v)]), "bpg-reg-rate");
    this.problemSelect = select("problem type", [["classification", "classification"],
                                                 ["regression", "regression"]], "bpg-problem");
    const labelled = (text, control) => h("label", { class: "bpg-field" },
      h("span", { class: "bpg-small", text }), control);
    const bar = h("div", { class: "bpg-bar" },
      h("div", { class: "bpg-buttons" }, this.resetButton, this.playButton, this.stepButton), epoch,
      labelled("Learning rate", this.lrSelect), labelled("Activation", this.activationSelect),
      labelled("Regularisation", this.regSelect), labelled("Regularisation rate", this.regRateSelect),
      labelled("Problem type", this.problemSelect));
    if (o.has_learner_model) {
      const group = `bpg-model-${Math.random().toString(36).slice(2)}`;       // one group per view
      this.modelRadios = ["yours", "reference"].map(v => h("input", { type: "radio", name: group, value: v }));
      bar.append(h("fieldset", { class: "bpg-field bpg-radios" }, h("legend", { class: "bpg-small", text: "Model" }),
        ...this.modelRadios.map(r => h("label", {}, r, ` ${r.value}`))));
    }
    this.messageBox = h("div", { class: "bpg-message", role: "alert" });

    // data
    this.datasetSelect = select("data set", o.datasets.map(([k, label]) => [k, label]), "bpg-dataset");
    const range = (label, min, max, step, key) => h("input", {
      type: "range", min, max, step, "aria-label": label, class: `bpg-range bpg-${key}` });
    this.trainRange = range("ratio of training to test data, percent", 10, 90, 10, "train");
    this.noiseRange = range("noise, percent", 0, 50, 5, "noise");
    this.batchRange = range("batch size", 1, o.max_batch, 1, "batch");
    this.trainValue = h("b", {}); this.noiseValue = h("b", {}); this.batchValue = h("b", {});
    this.seedInput = h("input", { type: "number", min: 0, step: 1, class: "bpg-seed", "aria-label": "seed" });
    this.regenerate = h("button", { class: "bpg-button bpg-small-button", type: "button",
      "aria-label": "new data: the next seed" }, "new data");
    this.showTest = h("input", { type: "checkbox", class: "bpg-show-test" });
    this.discretize = h("input", { type: "checkbox", class: "bpg-discretize" });
    const slider = (text, value, control) => h("label", { class: "bpg-slider" },
      h("span", {}, `${text}: `, value), control);
    const data = h("section", { class: "bpg-data", "aria-label": "data" },
      h("h3", { text: "Data" }),
      labelled("Which data set?", this.datasetSelect),
      slider("Training data", this.trainValue, this.trainRange),
      slider("Noise", this.noiseValue, this.noiseRange),
      slider("Batch size", this.batchValue, this.batchRange),
      h("div", { class: "bpg-seed-row" }, labelled("Seed", this.seedInput), this.regenerate),
      h("label", { class: "bpg-check" }, this.showTest, " Show test data"),
      h("label", { class: "bpg-check" }, this.discretize, " Discretise output"));

    // network
    this.addLayer = h("button", { class: "bpg-button bpg-round", type: "button", "aria-label": "add a hidden layer",
      "data-key": "add-layer", text: "+" });
    this.removeLayer = h("button", { class: "bpg-button bpg-round", type: "button",
      "aria-label": "remove the last hidden layer", "data-key": "remove-layer", text: "−" });
    this.layerCount = h("span", { class: "bpg-layer-count" });
    this.net = h("div", { class: "bpg-net" });
    this.links = s("svg", { class: "bpg-links", "aria-label": "links between the neurons; arrows move, Enter edits" });
    this.net.append(this.links);
    this.netScroll = h("div", { class: "bpg-net-scroll" }, this.net);
    this.tooltip = h("div", { class: "bpg-tooltip", role: "tooltip", hidden: true });
    this.weightInput = h("input", { type: "number", step: "0.1", class: "bpg-weight-input" });
    this.weightLabel = h("span", { class: "bpg-small" });
    this.editor = h("form", { class: "bpg-editor", hidden: true },
      h("label", {}, this.weightLabel, this.weightInput),
      h("button", { class: "bpg-button bpg-small-button", type: "submit", text: "set" }),
      h("button", { class: "bpg-button bpg-small-button bpg-cancel", type: "button", text: "cancel" }));
    const network = h("section", { class: "bpg-network", "aria-label": "network" },
      h("div", { class: "bpg-net-head" }, this.removeLayer, this.addLayer, this.layerCount),
      this.netScroll, this.tooltip, this.editor);

    // output
    this.heatCanvas = h("canvas", { class: "bpg-heat", "aria-hidden": "true" });
    this.marksCanvas = h("canvas", { class: "bpg-marks", "aria-hidden": "true" });
    this.plane = h("div", { class: "bpg-plane", tabindex: "0", role: "img", "aria-label":
      "the output over the plane: arrows move a cursor, Enter or Space adds a point of the chosen class there" },
      this.heatCanvas, this.marksCanvas);
    this.planeCaption = h("div", { class: "bpg-plane-caption", "aria-hidden": "true" });
    this.readout = h("div", { class: "bpg-readout", "aria-hidden": "true", text: " " });
    const classGroup = `bpg-class-${Math.random().toString(36).slice(2)}`;
    this.classRadios = [0, 1].map(c => h("input", { type: "radio", name: classGroup, value: String(c) }));
    this.clearPoints = h("button", { class: "bpg-button bpg-small-button", type: "button",
      "data-key": "clear-points", text: "clear my points" });
    const swatch = (c) => h("span", { class: "bpg-swatch", style: `background:${c === 0 ? pal.negative : pal.positive}` });
    this.classLabels = [0, 1].map(c => h("span", {}));
    const tools = h("fieldset", { class: "bpg-tools" },
      h("legend", { class: "bpg-small", text: "Your points: a click on the output adds one of" }),
      ...this.classRadios.map((r, c) => h("label", {}, r, swatch(c), this.classLabels[c])), this.clearPoints);
    this.neuronBar = h("div", { class: "bpg-bar-gradient" });
    this.outputBar = h("div", { class: "bpg-bar-gradient" });
    this.neuronScale = [h("span", {}), h("span", {})];
    this.outputScale = [h("span", {}), h("span", {})];
    this.outputLegendTitle = h("span", {});
    this.neuronLegendTitle = h("span", {});
    this.inputLegend = h("div", { class: "bpg-legend-row" }, h("span", { text: "Inputs" }),
      h("span", { class: "bpg-scale" }, h("span", { text: "−1" }),
        h("div", { class: "bpg-bar-gradient", style: `background: linear-gradient(to right, ${pal.negative}, ${pal.zero}, ${pal.positive})` }),
        h("span", { text: "1" })));
    this.pointsLegend = h("div", { class: "bpg-legend-row bpg-small" });
    const legend = h("div", { class: "bpg-legend" },
      h("div", { class: "bpg-legend-row" }, this.neuronLegendTitle,
        h("span", { class: "bpg-scale" }, this.neuronScale[0], this.neuronBar, this.neuronScale[1])),
      this.inputLegend,
      h("div", { class: "bpg-legend-row" }, this.outputLegendTitle,
        h("span", { class: "bpg-scale" }, this.outputScale[0], this.outputBar, this.outputScale[1])),
      h("div", { class: "bpg-legend-row bpg-small" }, h("span", {},
        "Links: ", h("b", { style: `color:${pal.negative}`, text: "blue" }), " negative weight, ",
        h("b", { style: `color:${pal.positive}`, text: "orange" }), " positive; wider: larger.")),
      this.pointsLegend);
    this.lossCanvas = h("canvas", { class: "bpg-loss", role: "img", "aria-label": "loss against epochs" });
    this.trainLossText = h("b", {}); this.testLossText = h("b", {});
    const line = (colour, dash) => {
      const svg = s("svg", { width: 26, height: 10, "aria-hidden": "true" });
      svg.append(s("line", { x1: 1, y1: 5, x2: 25, y2: 5, stroke: colour, "stroke-width": 2,
        "stroke-dasharray": dash ? "5 3" : "none" }));
      return svg;
    };
    const lossLegend = h("div", { class: "bpg-loss-legend" },
      h("span", {}, line(pal.lines[0], false), " training loss ", this.trainLossText),
      h("span", {}, line(pal.lines[1], true), " test loss ", this.testLossText));
    data.append(tools, legend);
    const output = h("section", { class: "bpg-output", "aria-label": "output" },
      h("h3", { text: "Output" }), lossLegend, this.lossCanvas, this.planeCaption, this.plane, this.readout);

    // state and export
    this.stateInput = h("input", { type: "text", class: "bpg-state", spellcheck: "false",
      "aria-label": "the playground's state: settings, seed and your points" });
    this.copyButton = h("button", { class: "bpg-button bpg-small-button", type: "button", text: "copy" });
    this.restoreButton = h("button", { class: "bpg-button bpg-small-button", type: "button", text: "restore" });
    this.copyStatus = h("span", { class: "bpg-small", role: "status" });
    this.exportButton = h("button", { class: "bpg-button bpg-small-button", type: "button", text: "export weights" });
    this.exportPath = h("input", { type: "text", class: "bpg-export-path", "aria-label": "file to write the weights to",
      placeholder: "file (empty: only show)" });
    this.exportText = h("textarea", { class: "bpg-export-text", readonly: true, rows: 8,
      "aria-label": "the trained weights as JSON", hidden: true });
    const foot = h("div", { class: "bpg-foot" },
      h("div", { class: "bpg-state-row" }, h("span", { class: "bpg-small", text: "State" }), this.stateInput,
        this.copyButton, this.restoreButton, this.copyStatus),
      h("div", { class: "bpg-state-row" }, this.exportButton, labelled("to the file", this.exportPath)),
      this.exportText);

    this.summary = h("div", { class: "bpg-sr", "aria-live": "polite", role: "status" });
    this.main = h("div", { class: "bpg-main" }, data, network, output);
    root.append(bar, this.messageBox, this.main, foot, this.summary);
    this.el.append(root);
  }

  // ---------------------------------------------------------------- events
  on(target, type, fn, options) {
    target.addEventListener(type, fn, options);
    this.cleanups.push(() => target.removeEventListener(type, fn, options));
  }

  set(values) {
    for (const [key, value] of Object.entries(values)) this.model.set(key, value);
    this.model.save_changes();
  }

  listen() {
    const m = this.model;
    const onModel = (event, fn) => { m.on(event, fn); this.cleanups.push(() => m.off(event, fn)); };
    onModel("msg:custom", (msg, buffers) => {
      if (msg && msg.type === "frame") this.onFrame(msg, buffers || []);
      else if (msg && msg.type === "pong" && this.pings) this.onPong(msg);
    });
    for (const name of ["dataset", "noise", "train_percent", "batch_size", "activation", "lr", "regularization",
                        "reg_rate", "seed", "show_test", "discretize", "point_class", "model_choice", "playing",
                        "message", "state_text", "export_text", "export_path", "hidden", "features", "points"]) {
      onModel(`change:${name}`, () => this.syncControls());
    }
    onModel("change:playing", () => {
      if (m.get("playing")) this.requestTicks(true);
      this.updateSummary(true);
    });
    onModel("change:show_test", () => { this.marksDirty = true; this.schedule(); });
    onModel("change:discretize", () => this.schedule());

    // keys pressed in the playground stay in it: JupyterLab would take arrows, letters and Enter
    // for its notebook commands (move, insert, delete, run cells) on their way up
    this.on(this.root, "keydown", (e) => { if (e.key !== "Escape") e.stopPropagation(); });
    this.on(this.playButton, "click", () => this.set({ playing: !m.get("playing") }));
    this.on(this.stepButton, "click", () => { this.set({ playing: false }); m.send({ type: "step" }); });
    this.on(this.resetButton, "click", () => { this.set({ playing: false }); m.send({ type: "reset" }); });
    this.on(this.lrSelect, "change", () => this.set({ lr: Number(this.lrSelect.value) }));
    this.on(this.activationSelect, "change", () => this.set({ activation: this.activationSelect.value }));
    this.on(this.regSelect, "change", () => this.set({ regularization: this.regSelect.value }));
    this.on(this.regRateSelect, "change", () => this.set({ reg_rate: Number(this.regRateSelect.value) }));
    this.on(this.problemSelect, "change", () => {
      const first = this.options.datasets.find(d => d[2] === this.problemSelect.value);
      if (first) this.set({ dataset: first[0] });
    });
    this.on(this.datasetSelect, "change", () => this.set({ dataset: this.datasetSelect.value }));
    this.on(this.trainRange, "input", () => { this.trainValue.textContent = `${this.trainRange.value} %`; });
    this.on(this.trainRange, "change", () => this.set({ train_percent: Number(this.trainRange.value) }));
    this.on(this.noiseRange, "input", () => { this.noiseValue.textContent = `${this.noiseRange.value} %`; });
    this.on(this.noiseRange, "change", () => this.set({ noise: Number(this.noiseRange.value) / 100 }));
    this.on(this.batchRange, "input", () => { this.batchValue.textContent = this.batchRange.value; });
    this.on(this.batchRange, "change", () => this.set({ batch_size: Number(this.batchRange.value) }));
    this.on(this.seedInput, "change", () => {
      const seed = Math.max(0, Math.floor(Number(this.seedInput.value) || 0));
      this.set({ seed });
    });
    this.on(this.regenerate, "click", () => this.set({ seed: m.get("seed") + 1 }));
    this.on(this.showTest, "change", () => this.set({ show_test: this.showTest.checked }));
    this.on(this.discretize, "change", () => this.set({ discretize: this.discretize.checked }));
    if (this.modelRadios) for (const r of this.modelRadios) this.on(r, "change", () => this.set({ model_choice: r.value }));
    for (const r of this.classRadios) this.on(r, "change", () => this.set({ point_class: Number(r.value) }));
    this.on(this.clearPoints, "click", () => this.set({ points: [] }));
    this.on(this.addLayer, "click", () => {
      const hidden = [...m.get("hidden")];
      if (hidden.length < this.options.max_layers) this.set({ hidden: [...hidden, 2] });
    });
    this.on(this.removeLayer, "click", () => {
      const hidden = [...m.get("hidden")];
      if (hidden.length) this.set({ hidden: hidden.slice(0, -1) });
    });
    this.on(this.copyButton, "click", () => this.copyState());
    this.on(this.restoreButton, "click", () => {
      this.stateEdited = false;
      m.send({ type: "restore", text: this.stateInput.value });
    });
    this.on(this.stateInput, "input", () => { this.stateEdited = true; });
    this.on(this.stateInput, "keydown", (e) => { if (e.key === "Enter") this.restoreButton.click(); });
    this.on(this.exportButton, "click", () => { this.set({ export_path: this.exportPath.value }); m.send({ type: "export" }); });

    // the output plane: hover reads the value, a click (or Enter) adds a point
    this.on(this.plane, "mousemove", (e) => this.hoverPlane(e));
    this.on(this.plane, "mouseleave", () => { this.readout.textContent = " "; });
    this.on(this.plane, "click", (e) => {
      const p = this.planePoint(e);
      if (p) this.addPoint(p[0], p[1]);
    });
    this.on(this.plane, "keydown", (e) => this.planeKey(e));
    this.on(this.plane, "focus", () => {
      if (!this.cursor && this.layout) {                    // the cursor starts in the middle
        const [x0, x1, y0, y1] = this.layout.extent;
        this.cursor = [(x0 + x1) / 2, (y0 + y1) / 2];
      }
      this.describeCursor();
      this.marksDirty = true;
      this.schedule();
    });
    this.on(this.plane, "blur", () => { this.cursor = null; this.marksDirty = true; this.schedule(); });

    // the weight editor
    this.on(this.editor, "submit", (e) => {
      e.preventDefault();
      const value = Number(this.weightInput.value);
      if (this.editing && this.weightInput.value.trim() !== "" && Number.isFinite(value)) {
        const [layer, i, j] = this.editing;
        m.send({ type: "set_weight", layer, i, j, value });
      }
      this.closeEditor(true);
    });
    this.on(this.editor.querySelector(".bpg-cancel"), "click", () => this.closeEditor(true));
    this.on(this.weightInput, "keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); this.closeEditor(true); } });

    this.resizer = new ResizeObserver(() => this.relayout());
    this.resizer.observe(this.root);
    this.cleanups.push(() => this.resizer.disconnect());
    const watchRatio = () => {
      const query = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
      const changed = () => { this.relayout(); watchRatio(); };
      query.addEventListener("change", changed, { once: true });
      this.cleanups.push(() => query.removeEventListener("change", changed));
    };
    watchRatio();
    this.syncControls();
  }

  destroy() {
    for (const fn of this.cleanups) fn();
    if (this.raf) cancelAnimationFrame(this.raf);
    this.afterRender.port1.close();
    this.root.remove();
  }

  async copyState() {
    const text = this.stateInput.value;
    let done = false;
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); done = true; }
    } catch (err) { done = false; }
    if (!done) {
      this.stateInput.select();
      try { done = document.execCommand("copy"); } catch (err) { done = false; }
    }
    this.copyStatus.textContent = done ? "copied" : "select the text and copy it";
  }

  // ---------------------------------------------------------------- controls <- model
  syncControls() {
    const m = this.model;
    const playing = m.get("playing");
    this.playButton.replaceChildren(h("span", { "aria-hidden": "true", text: playing ? "❚❚ " : "▶ " }),
      playing ? "pause" : "play");
    this.playButton.setAttribute("aria-pressed", playing ? "true" : "false");
    this.root.dataset.playing = playing ? "true" : "false";
    const setValue = (el, v) => { if (document.activeElement !== el || el.type !== "text") el.value = String(v); };
    setValue(this.lrSelect, m.get("lr"));
    setValue(this.activationSelect, m.get("activation"));
    setValue(this.regSelect, m.get("regularization"));
    setValue(this.regRateSelect, m.get("reg_rate"));
    const dataset = m.get("dataset");
    setValue(this.datasetSelect, dataset);
    const entry = this.options.datasets.find(d => d[0] === dataset);
    if (entry && entry[2]) this.problemSelect.value = entry[2];
    this.trainRange.value = m.get("train_percent");
    this.trainValue.textContent = `${m.get("train_percent")} %`;
    this.noiseRange.value = Math.round(m.get("noise") * 100);
    this.noiseValue.textContent = `${Math.round(m.get("noise") * 100)} %`;
    this.batchRange.value = m.get("batch_size");
    this.batchValue.textContent = String(m.get("batch_size"));
    if (document.activeElement !== this.seedInput) this.seedInput.value = m.get("seed");
    this.showTest.checked = m.get("show_test");
    this.discretize.checked = m.get("discretize");
    if (this.modelRadios) for (const r of this.modelRadios) r.checked = r.value === m.get("model_choice");
    for (const r of this.classRadios) r.checked = Number(r.value) === m.get("point_class");
    const message = m.get("message");
    this.messageBox.textContent = message;
    this.messageBox.hidden = !message;
    this.messageBox.className = `bpg-message bpg-${m.get("message_level")}`;
    this.messageBox.setAttribute("role", m.get("message_level") === "info" ? "status" : "alert");
    if (!this.stateEdited) this.stateInput.value = m.get("state_text");
    if (document.activeElement !== this.exportPath) this.exportPath.value = m.get("export_path");
    const exported = m.get("export_text");
    this.exportText.value = exported;
    this.exportText.hidden = !exported;
    const hidden = m.get("hidden");
    this.layerCount.textContent = `${hidden.length} hidden layer${hidden.length === 1 ? "" : "s"}`;
    this.addLayer.disabled = hidden.length >= this.options.max_layers;
    this.removeLayer.disabled = hidden.length === 0;
    this.clearPoints.disabled = m.get("points").length === 0;
  }

  // ---------------------------------------------------------------- frames
  // A frame arrives: it joins the queue; each animation frame draws the oldest (one epoch per frame).
  onFrame(header, buffers) {
    const now = performance.now();
    const sent = this.tickTimes.get(header.epoch);
    if (sent !== undefined) keep(this.stats.roundTrip, now - sent);
    for (const epoch of this.tickTimes.keys()) if (epoch <= header.epoch) this.tickTimes.delete(epoch);
    keep(this.stats.bytes, buffers.reduce((n, b) => n + b.byteLength, 0));
    if (header.kernel_ms !== undefined) keep(this.stats.kernel, header.kernel_ms);
    if (header.full) this.arrivedLayout = header.layout_id;
    else if (header.layout_id !== this.arrivedLayout) {
      this.model.send({ type: "hello" });        // a frame of a layout this view has not seen
      return;
    }
    this.queue.push({ header, arrays: decode(header, buffers), arrived: now });
    this.schedule();
  }

  apply({ header, arrays: a }) {
    if (header.epoch < this.epoch) {                                  // a reset: ask again from here
      this.requested = header.epoch;
      this.tickTimes.clear();
    }
    this.epoch = header.epoch;
    this.diverged = header.diverged;
    this.output = a.output ? a.output.data : null;
    this.neurons = a.neurons ? a.neurons.data : null;
    this.weights = a.weights.data;
    this.focusMap = a.focus ? { index: header.focus, data: a.focus.data } : null;
    if (header.full) this.setLayout(header, a);                       // after the arrays it draws
    const start = header.loss_start, losses = a.losses.data;
    this.trainLosses.length = Math.min(this.trainLosses.length, start);
    this.testLosses.length = Math.min(this.testLosses.length, start);
    for (let k = 0; k < losses.length; k += 2) { this.trainLosses.push(losses[k]); this.testLosses.push(losses[k + 1]); }
  }

  onPong(msg) {
    const p = this.pings;
    p.times.push(performance.now() - msg.sent);
    if (p.times.length < p.n) this.model.send({ type: "ping", sent: performance.now() });
    else { this.pings = null; p.resolve(p.times); }
  }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame((time) => this.onAnimationFrame(time));
  }

  onAnimationFrame(time) {
    this.raf = 0;
    const start = performance.now();
    if (this.lastFrameTime) keep(this.stats.interval, time - this.lastFrameTime);
    this.lastFrameTime = time;
    // frames that no animation frame could show in time (the page was hidden) are applied, not drawn
    while (this.queue.length > MAX_QUEUE) this.apply(this.queue.shift());
    const frame = this.queue.shift();
    if (frame) { keep(this.stats.wait, start - frame.arrived); this.apply(frame); }
    if (!this.layout || !this.weights) return;
    if (this.ratio !== (window.devicePixelRatio || 1)) this.relayout();     // moved to another screen
    this.draw();
    keep(this.stats.draw, performance.now() - start);
    this.rafStart = start;
    this.afterRender.port2.postMessage(0);
    this.drawn += 1;
    keep(this.stats.epochs, this.epoch);
    this.root.dataset.drawn = String(this.drawn);
    this.root.dataset.epoch = String(this.epoch);
    this.requestTicks();
    if (this.queue.length) this.schedule();
  }

  // Flow control while playing. The screen shows one epoch per animation frame; the kernel trains
  // a little ahead, so that a frame is there when the screen wants one. After each drawn frame: when
  // the kernel is at most `low` epochs ahead of the screen (enough to cover a tick's round trip),
  // one message asks it to train up to `high` epochs ahead. One message per BATCH epochs: each
  // message costs the kernel, the server and the page more than an epoch does (the kernel's busy and
  // idle messages, which JupyterLab reacts to), and nothing piles up: at most `high` frames wait.
  watermarks() {
    if (this.root.bpgAhead) return [this.root.bpgAhead - 1, this.root.bpgAhead];   // fixed by the bench
    const rtt = median(this.stats.roundTrip), frame = median(this.stats.interval) || 16.7;
    const low = rtt ? Math.max(1, Math.min(MAX_AHEAD - BATCH, Math.ceil(rtt / frame))) : 2;
    return [low, low + BATCH];
  }

  requestTicks(restart = false) {
    if (!this.model.get("playing") || (this.diverged && !restart)) return;
    const step = this.options.epochs_per_tick || 1;
    if (restart || this.requested < this.epoch) this.requested = this.epoch;
    const [low, high] = this.watermarks();
    if (this.requested - this.epoch > low * step) return;
    const target = this.epoch + high * step;
    if (target <= this.requested) return;
    this.tickTimes.set(this.requested + step, performance.now());
    this.requested = target;
    this.model.send({ type: "tick", target });
  }

  setLayout(header, a) {
    const focusKey = document.activeElement && this.root.contains(document.activeElement)
      ? document.activeElement.getAttribute("data-key") : null;
    this.layoutId = header.layout_id;
    this.layout = header;
    this.points = a.points.data;
    this.inputs = a.inputs.data;
    this.trainLosses = [];
    this.testLosses = [];
    if (this.shown && this.shown.kind === "neuron") this.shown = null;
    this.closeEditor(false);
    const task = header.task, classes = task === "classification";
    this.classLabels[0].textContent = classes ? " class 0" : " value −1";
    this.classLabels[1].textContent = classes ? " class 1" : " value +1";
    const [nlo, nhi] = header.neuron_range, [olo, ohi] = header.output_range;
    const sameScale = nlo === -1 && nhi === 1;
    this.neuronLegendTitle.textContent = sameScale ? "Neurons and inputs" : `Neurons (${header.activation})`;
    this.inputLegend.hidden = sameScale;
    this.neuronScale[0].textContent = tickLabel(nlo); this.neuronScale[1].textContent = tickLabel(nhi);
    this.outputScale[0].textContent = tickLabel(olo); this.outputScale[1].textContent = tickLabel(ohi);
    this.outputLegendTitle.textContent = classes ? "Output: P(class 1)" : "Output: the predicted value";
    this.pointsLegend.textContent = `Points: training with a ${classes ? "white" : "grey"} rim, test with a dark rim, yours as diamonds.`;
    const pal = this.options.palette;
    this.neuronBar.style.background = `linear-gradient(to right, ${pal.negative}, ${pal.zero}, ${pal.positive})`;
    this.outputBar.style.background = `linear-gradient(to right, ${cssColour(this.paleTable, 0)}, ${cssColour(this.paleTable, 128)}, ${cssColour(this.paleTable, 255)})`;
    this.buildNetwork();
    this.relayout();
    if (focusKey) {
      const again = this.root.querySelector(`[data-key="${focusKey}"]`);
      if (again && !again.disabled) again.focus();
    }
  }

  // ---------------------------------------------------------------- the network's elements
  buildNetwork() {
    const L = this.layout, o = this.options;
    for (const node of [...this.net.querySelectorAll(".bpg-node, .bpg-col-head, .bpg-input-label")]) node.remove();
    this.links.replaceChildren();
    const sizes = L.sizes, hiddenCount = sizes.length - 2;
    const active = new Set(L.features);
    this.columns = [];
    // inputs: every feature, used or not
    const inputs = L.all_features.map((name, r) => {
      const label = L.feature_labels[name];
      const on = active.has(name);
      const node = h("button", { class: `bpg-node bpg-input${on ? " bpg-on" : ""}`, type: "button",
        "aria-pressed": on ? "true" : "false", "aria-label": `input ${label}: ${on ? "used" : "not used"}; press to ${on ? "stop using" : "use"} it`,
        "data-key": `input-${name}` }, h("canvas", { "aria-hidden": "true" }));
      const text = h("span", { class: "bpg-input-label", text: label, "aria-hidden": "true" });
      this.net.append(node, text);
      this.on(node, "click", () => {
        const features = new Set(this.model.get("features"));
        if (features.has(name)) features.delete(name); else features.add(name);
        this.set({ features: L.all_features.filter(f => features.has(f)) });
      });
      this.on(node, "mouseenter", () => this.showLarge({ kind: "input", index: r }));
      this.on(node, "mouseleave", () => this.showLarge(null));
      this.on(node, "focus", () => this.showLarge({ kind: "input", index: r }));
      this.on(node, "blur", () => this.showLarge(null));
      return { node, text, name, row: r, on };
    });
    this.inputNodes = inputs;
    // hidden neurons and the output: one roving tab stop, arrows move
    this.neuronNodes = [];
    let index = 0;
    for (let l = 1; l <= hiddenCount + 1; l++) {
      const column = [];
      for (let r = 0; r < sizes[l]; r++) {
        const output = l === hiddenCount + 1;
        const label = output ? `the output: ${L.task === "classification" ? "P(class 1)" : "the predicted value"}`
          : `layer ${l}, neuron ${r + 1}`;
        const node = h("div", { class: `bpg-node ${output ? "bpg-output-node" : "bpg-neuron"}`, role: "button",
          tabindex: "-1", "aria-label": `${label}; shown large on the output while focused`, "data-key": `node-${l}-${r}` },
          h("canvas", { "aria-hidden": "true" }));
        const item = { node, layer: l, row: r, output, index: output ? -1 : index, label };
        if (!output) index += 1;
        const show = () => this.showLarge(output ? null : { kind: "neuron", index: item.index, label });
        this.on(node, "mouseenter", show);
        this.on(node, "mouseleave", () => this.showLarge(null));
        this.on(node, "focus", () => { show(); this.describeNode(item); });
        this.on(node, "blur", () => { this.showLarge(null); this.hideTooltip(); });
        this.on(node, "keydown", (e) => this.nodeKey(e, item));
        this.net.append(node);
        column.push(item);
      }
      this.neuronNodes.push(column);
    }
    if (this.neuronNodes.length && this.neuronNodes[0].length) this.neuronNodes[0][0].node.tabIndex = 0;
    // column headings: +/- neurons for each hidden layer
    this.heads = [];
    for (let l = 1; l <= hiddenCount; l++) {
      const count = sizes[l];
      const minus = h("button", { class: "bpg-button bpg-round bpg-tiny", type: "button", text: "−",
        "aria-label": `remove a neuron from layer ${l}`, "data-key": `remove-neuron-${l}` });
      const plus = h("button", { class: "bpg-button bpg-round bpg-tiny", type: "button", text: "+",
        "aria-label": `add a neuron to layer ${l}`, "data-key": `add-neuron-${l}` });
      minus.disabled = count <= 1;
      plus.disabled = count >= o.max_neurons;
      const change = (d) => {
        const hidden = [...this.model.get("hidden")];
        hidden[l - 1] = Math.max(1, Math.min(o.max_neurons, hidden[l - 1] + d));
        this.set({ hidden });
      };
      this.on(minus, "click", () => change(-1));
      this.on(plus, "click", () => change(1));
      const head = h("div", { class: "bpg-col-head" }, h("div", {}, minus, plus),
        h("div", { class: "bpg-small bpg-count", "data-count": String(count),
          text: `${count} neuron${count === 1 ? "" : "s"}` }));
      this.net.append(head);
      this.heads.push(head);
    }
    this.inputHead = h("div", { class: "bpg-col-head bpg-small", text: "Features" });
    this.outputHead = h("div", { class: "bpg-col-head bpg-small", text: "Output" });
    this.net.append(this.inputHead, this.outputHead);
    // links: one visible path and one wider, invisible one to hover, per weight
    this.linkItems = [];
    const activeRows = inputs.filter(i => i.on).map(i => i.row);
    let w = 0;
    for (let l = 1; l <= hiddenCount + 1; l++) {
      const from = l === 1 ? activeRows.map(r => ({ row: r, column: 0 })) : this.neuronNodes[l - 2].map(n => ({ row: n.row, column: l - 1 }));
      for (let i = 0; i < from.length; i++) {
        for (let j = 0; j < sizes[l]; j++) {
          const line = s("path", { class: "bpg-link" });
          const hit = s("path", { class: "bpg-link-hit", tabindex: "-1", role: "button", "data-key": `link-${l}-${i}-${j}` });
          const fromName = l === 1 ? L.feature_labels[L.all_features[from[i].row]] : `layer ${l - 1} neuron ${i + 1}`;
          const toName = l === hiddenCount + 1 ? "the output" : `layer ${l} neuron ${j + 1}`;
          const item = { line, hit, layer: l, i, j, w, from: from[i], toRow: j, name: `${fromName} to ${toName}` };
          hit.setAttribute("aria-label", `link from ${item.name}; Enter to change its weight`);
          this.on(hit, "mouseenter", (e) => { line.classList.add("bpg-hover"); this.describeLink(item, e); });
          this.on(hit, "mousemove", (e) => this.describeLink(item, e));
          this.on(hit, "mouseleave", () => { line.classList.remove("bpg-hover"); this.hideTooltip(); });
          this.on(hit, "click", (e) => this.openEditor(item, e));
          this.on(hit, "focus", () => { line.classList.add("bpg-hover"); this.describeLink(item, null); });
          this.on(hit, "blur", () => { line.classList.remove("bpg-hover"); this.hideTooltip(); });
          this.on(hit, "keydown", (e) => this.linkKey(e, item));
          this.links.append(line);
          this.linkItems.push(item);
          w += 1;
        }
      }
    }
    for (const item of this.linkItems) this.links.append(item.hit);       // hit areas above every line
    if (this.linkItems.length) this.linkItems[0].hit.setAttribute("tabindex", "0");
    this.linkCount = w;
  }

  // ---------------------------------------------------------------- geometry
  relayout() {
    if (!this.layout) return;
    this.ratio = window.devicePixelRatio || 1;
    const L = this.layout, sizes = L.sizes, columns = sizes.length;   // inputs, hidden..., output
    // three columns (data, network, output) when the network fits in the middle one; otherwise the
    // data's controls go above, and below 680 px everything is stacked
    const width = this.root.clientWidth, needed = LEFT + NODE + MIN_STEP * (columns - 1) + 16;
    const mode = (name) => {
      for (const m of ["wide", "medium", "narrow"]) this.root.classList.toggle(`bpg-${m}`, m === name);
    };
    mode(width >= 1000 ? "wide" : width >= 680 ? "medium" : "narrow");
    if (width >= 680 && this.netScroll.clientWidth < needed) mode("medium");
    const rows = Math.max(L.all_features.length, ...sizes.slice(1, -1), 1);
    const available = Math.max(200, this.netScroll.clientWidth - 4);
    const step = Math.max(MIN_STEP, Math.min(150, (available - LEFT - NODE - 12) / (columns - 1)));
    const netWidth = Math.ceil(LEFT + NODE + step * (columns - 1) + 12);
    const netHeight = HEAD + rows * (NODE + ROW_GAP);
    this.net.style.width = `${netWidth}px`;
    this.net.style.height = `${netHeight}px`;
    this.links.setAttribute("width", netWidth);
    this.links.setAttribute("height", netHeight);
    const x = (c) => LEFT + NODE / 2 + c * step;
    const y = (r) => HEAD + r * (NODE + ROW_GAP) + NODE / 2;
    const place = (node, cx, cy) => { node.style.left = `${cx - NODE / 2}px`; node.style.top = `${cy - NODE / 2}px`; };
    for (const item of this.inputNodes) {
      place(item.node, x(0), y(item.row));
      item.text.style.left = "0px";
      item.text.style.width = `${LEFT - 6}px`;
      item.text.style.top = `${y(item.row) - 8}px`;
      item.cx = x(0); item.cy = y(item.row);
    }
    this.neuronNodes.forEach((column, k) => {
      const c = k + 1, output = c === columns - 1;
      column.forEach((item) => {
        const rowsBefore = c === 1 ? 1 : this.neuronNodes[k - 1].length;
        const cy = output ? y((rowsBefore - 1) / 2) : y(item.row);
        place(item.node, x(c), cy);
        item.cx = x(c); item.cy = cy;
      });
    });
    const headWidth = Math.min(step - 4, 96);
    this.heads.forEach((head, k) => {
      const count = head.querySelector(".bpg-count");
      const n = Number(count.dataset.count);
      count.textContent = step >= 84 ? `${n} neuron${n === 1 ? "" : "s"}` : String(n);
      head.style.left = `${x(k + 1) - headWidth / 2}px`;
      head.style.width = `${headWidth}px`;
      head.style.top = "2px";
    });
    this.inputHead.style.left = `${x(0) - NODE / 2 - 20}px`;
    this.inputHead.style.top = `${HEAD - 20}px`;
    this.outputHead.style.left = "auto";
    this.outputHead.style.right = `${netWidth - x(columns - 1) - NODE / 2}px`;
    const out = this.neuronNodes[this.neuronNodes.length - 1][0];
    this.outputHead.style.top = `${out.cy - NODE / 2 - 18}px`;
    for (const item of this.linkItems) {
      const a = item.from.column === 0 ? this.inputNodes[item.from.row] : this.neuronNodes[item.from.column - 1][item.from.row];
      const b = this.neuronNodes[item.layer - 1][item.toRow];
      const x1 = a.cx + NODE / 2, x2 = b.cx - NODE / 2, mid = (x1 + x2) / 2;
      const d = `M${x1},${a.cy} C${mid},${a.cy} ${mid},${b.cy} ${x2},${b.cy}`;
      item.line.setAttribute("d", d);
      item.hit.setAttribute("d", d);
      item.mx = mid; item.my = (a.cy + b.cy) / 2;
    }
    // canvases
    for (const item of this.inputNodes) item.ctx = sizeCanvas(item.node.firstChild, NODE - 2, NODE - 2);
    for (const column of this.neuronNodes) {
      for (const item of column) {
        item.inner = item.output ? NODE - 4 : NODE - 2;          // inside the node's border
        item.ctx = sizeCanvas(item.node.firstChild, item.inner, item.inner);
      }
    }
    const outWidth = this.plane.parentElement.clientWidth || 320;
    const side = Math.max(180, Math.min(360, outWidth - PLANE_MARGIN.left - PLANE_MARGIN.right));
    this.planeSide = side;
    const m = PLANE_MARGIN;
    this.plane.style.width = `${side + m.left + m.right}px`;
    this.plane.style.height = `${side + m.top + m.bottom}px`;
    this.heatCanvas.style.left = `${m.left}px`;
    this.heatCanvas.style.top = `${m.top}px`;
    this.heatCtx = sizeCanvas(this.heatCanvas, side, side);
    this.marksCtx = sizeCanvas(this.marksCanvas, side + m.left + m.right, side + m.top + m.bottom);
    this.marksDirty = true;
    this.lossCtx = sizeCanvas(this.lossCanvas, side + PLANE_MARGIN.left + PLANE_MARGIN.right, LOSS_HEIGHT);
    this.lossWidth = side + PLANE_MARGIN.left + PLANE_MARGIN.right;
    this.drawInputs();
    if (this.weights) this.draw();
  }

  // ---------------------------------------------------------------- drawing
  drawInputs() {
    const G = this.layout.grid;
    for (const item of this.inputNodes) {
      paintGrid(item.ctx, this.inputs, item.row * G * G, G, this.table, 0, 0, NODE - 2, NODE - 2);
    }
  }

  draw() {
    const L = this.layout;
    if (!L || !this.weights) return;
    this.epochText.textContent = String(this.epoch).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    // neurons
    const g = L.small, G = L.grid;
    for (const column of this.neuronNodes) {
      for (const item of column) {
        if (item.output) this.paintOutput(item.ctx, 0, 0, item.inner, item.inner, this.table);
        else if (this.neurons) paintGrid(item.ctx, this.neurons, item.index * g * g, g, this.table, 0, 0, item.inner, item.inner);
      }
    }
    // links: width and colour from the weight
    const pal = this.options.palette;
    for (const item of this.linkItems) {
      const v = this.weights[item.w];
      const a = Math.abs(v);
      item.line.setAttribute("stroke-width", Math.min(8, 0.5 + 2.5 * a).toFixed(2));
      item.line.setAttribute("stroke", v < 0 ? pal.negative : pal.positive);
      item.line.setAttribute("stroke-opacity", Math.min(1, 0.3 + 0.7 * a).toFixed(2));
    }
    this.drawHeat();
    if (this.marksDirty) this.drawMarks();
    this.drawLoss();
    const n = this.trainLosses.length;
    this.trainLossText.textContent = n ? fmt(this.trainLosses[n - 1]) : "";
    this.testLossText.textContent = n ? fmt(this.testLosses[n - 1]) : "";
    this.updateSummary(false);
    if (this.tooltipFor) this.describeLink(this.tooltipFor, null, true);
  }

  paintOutput(ctx, x, y, w, hgt, table) {
    const [lo, hi] = this.layout.output_range, G = this.layout.grid;
    const discrete = this.model.get("discretize"), mid = (lo + hi) / 2, scale = 255 / (hi - lo);
    const map = discrete ? (v) => (v >= mid ? 255 : 0)
      : (v) => { const q = Math.round((v - lo) * scale); return q < 0 ? 0 : q > 255 ? 255 : q; };
    paintGrid(ctx, this.output, 0, G, table, x, y, w, hgt, map);
  }

  // The heatmap under the points: the output, or the input or neuron shown large. Every frame.
  drawHeat() {
    const L = this.layout, ctx = this.heatCtx, side = this.planeSide, G = L.grid;
    const shown = this.shown;
    let caption;
    if (shown && shown.kind === "input") {
      paintGrid(ctx, this.inputs, shown.index * G * G, G, this.paleTable, 0, 0, side, side);
      caption = `input ${L.feature_labels[L.all_features[shown.index]]}, scaled to −1…1`;
    } else if (shown && shown.kind === "neuron") {
      if (this.focusMap && this.focusMap.index === shown.index) {
        paintGrid(ctx, this.focusMap.data, 0, G, this.paleTable, 0, 0, side, side);
      } else if (this.neurons) {
        paintGrid(ctx, this.neurons, shown.index * L.small * L.small, L.small, this.paleTable, 0, 0, side, side);
      }
      caption = `${shown.label}: its output over the plane`;
    } else {
      this.paintOutput(ctx, 0, 0, side, side, this.paleTable);
      caption = L.task === "classification" ? "P(class 1) over the plane" : "the predicted value over the plane";
    }
    if (this.planeCaption.textContent !== caption) this.planeCaption.textContent = caption;
  }

  // The axes, the points and the keyboard's cursor, over the heatmap: only when they change.
  drawMarks() {
    this.marksDirty = false;
    const L = this.layout, ctx = this.marksCtx, side = this.planeSide, m = PLANE_MARGIN;
    const pal = this.options.palette;
    ctx.clearRect(0, 0, side + m.left + m.right, side + m.top + m.bottom);
    const [x0, x1, y0, y1] = L.extent;
    const px = (v) => m.left + (v - x0) / (x1 - x0) * side;
    const py = (v) => m.top + (1 - (v - y0) / (y1 - y0)) * side;
    ctx.strokeStyle = pal.muted;
    ctx.lineWidth = 1;
    ctx.strokeRect(m.left + 0.5, m.top + 0.5, side - 1, side - 1);
    ctx.fillStyle = pal.text;
    ctx.font = "11px system-ui, -apple-system, 'Segoe UI', sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of ticks(x0, x1, 6)) {
      ctx.fillText(tickLabel(v), px(v), m.top + side + 5);
      ctx.beginPath(); ctx.moveTo(px(v), m.top + side); ctx.lineTo(px(v), m.top + side + 3); ctx.stroke();
    }
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const v of ticks(y0, y1, 6)) {
      ctx.fillText(tickLabel(v), m.left - 5, py(v));
      ctx.beginPath(); ctx.moveTo(m.left - 3, py(v)); ctx.lineTo(m.left, py(v)); ctx.stroke();
    }
    const P = this.points, classes = L.task === "classification", showTest = this.model.get("show_test");
    ctx.save();
    ctx.beginPath(); ctx.rect(m.left, m.top, side, side); ctx.clip();
    for (let k = 0; k < P.length; k += 4) {
      const kind = P[k + 3];
      if (kind === 1 && !showTest) continue;
      const cx = px(P[k]), cy = py(P[k + 1]);
      const value = P[k + 2];
      ctx.fillStyle = classes ? (value > 0.5 ? pal.positive : pal.negative)
        : cssColour(this.table, (Math.max(-1, Math.min(1, value)) + 1) * 127.5);
      ctx.strokeStyle = kind === 1 || kind === 2 ? pal.text : classes ? "#ffffff" : pal.muted;
      ctx.lineWidth = kind === 2 ? 2 : 1.2;
      ctx.beginPath();
      if (kind === 2) {
        const r = 6;
        ctx.moveTo(cx, cy - r); ctx.lineTo(cx + r, cy); ctx.lineTo(cx, cy + r); ctx.lineTo(cx - r, cy); ctx.closePath();
      } else {
        ctx.arc(cx, cy, 3.6, 0, 2 * Math.PI);
      }
      ctx.fill(); ctx.stroke();
    }
    if (this.cursor) {
      const cx = px(this.cursor[0]), cy = py(this.cursor[1]);
      ctx.strokeStyle = pal.text; ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.arc(cx, cy, 8, 0, 2 * Math.PI); ctx.moveTo(cx - 12, cy); ctx.lineTo(cx + 12, cy);
      ctx.moveTo(cx, cy - 12); ctx.lineTo(cx, cy + 12); ctx.stroke();
    }
    ctx.restore();
  }

  drawLoss() {
    const ctx = this.lossCtx, W = this.lossWidth, H = LOSS_HEIGHT, pal = this.options.palette;
    const m = { left: 44, right: 44, top: 16, bottom: 20 };
    ctx.clearRect(0, 0, W, H);
    const n = this.trainLosses.length;
    const lastEpoch = Math.max(this.epoch, 10);
    let top = 0;
    for (let k = 0; k < n; k++) top = Math.max(top, this.trainLosses[k], this.testLosses[k]);
    top = top > 0 && Number.isFinite(top) ? top * 1.05 : 1;
    const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
    const first = this.epoch - (n - 1);
    const px = (e) => m.left + e / lastEpoch * pw, py = (v) => m.top + (1 - v / top) * ph;
    ctx.font = "11px system-ui, -apple-system, 'Segoe UI', sans-serif";
    ctx.strokeStyle = pal.muted; ctx.fillStyle = pal.text; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(m.left + 0.5, m.top); ctx.lineTo(m.left + 0.5, m.top + ph + 0.5);
    ctx.lineTo(m.left + pw, m.top + ph + 0.5); ctx.stroke();
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const v of ticks(0, top, 3)) {
      ctx.fillText(tickLabel(v), m.left - 5, py(v));
      ctx.beginPath(); ctx.moveTo(m.left - 3, py(v)); ctx.lineTo(m.left, py(v)); ctx.stroke();
    }
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const v of ticks(0, lastEpoch, 5)) {
      if (v !== Math.round(v)) continue;
      ctx.fillText(tickLabel(v), px(v), m.top + ph + 5);
      ctx.beginPath(); ctx.moveTo(px(v), m.top + ph); ctx.lineTo(px(v), m.top + ph + 3); ctx.stroke();
    }
    ctx.fillStyle = pal.muted;
    ctx.textAlign = "left"; ctx.textBaseline = "middle";
    ctx.fillText("epoch", m.left + pw + 8, m.top + ph);
    ctx.textAlign = "right"; ctx.textBaseline = "top";
    ctx.fillText("loss", m.left - 5, 0);
    if (!n) return;
    const every = Math.max(1, Math.floor(n / (2 * pw)));
    const curve = (values, colour, dash) => {
      ctx.strokeStyle = colour; ctx.lineWidth = 1.6; ctx.setLineDash(dash);
      ctx.beginPath();
      for (let k = 0; k < n; k += every) {
        const X = px(first + k), Y = py(values[k]);
        if (k === 0) ctx.moveTo(X, Y); else ctx.lineTo(X, Y);
      }
      ctx.lineTo(px(first + n - 1), py(values[n - 1]));
      ctx.stroke();
      ctx.setLineDash([]);
      if (n === 1) {                                          // epoch 0 alone: a dot, not a line
        ctx.fillStyle = colour;
        ctx.beginPath(); ctx.arc(px(first), py(values[0]), 2.5, 0, 2 * Math.PI); ctx.fill();
      }
    };
    ctx.save();
    ctx.beginPath(); ctx.rect(m.left, m.top - 2, pw + 2, ph + 4); ctx.clip();
    curve(this.trainLosses, pal.lines[0], []);
    curve(this.testLosses, pal.lines[1], [5, 3]);
    ctx.restore();
  }

  // ---------------------------------------------------------------- text alternatives
  summaryText() {
    const L = this.layout, n = this.trainLosses.length;
    const labels = L.features.map(f => L.feature_labels[f]).join(", ");
    const hidden = L.sizes.slice(1, -1);
    const net = hidden.length ? `hidden layers of ${hidden.join(", ")} neurons, ${L.activation}` : "no hidden layer";
    const drawn = L.n_drawn ? ` ${L.n_drawn} point${L.n_drawn === 1 ? "" : "s"} of yours.` : "";
    const losses = n ? ` Training loss ${fmt(this.trainLosses[n - 1])}, test loss ${fmt(this.testLosses[n - 1])}.` : "";
    return `Epoch ${this.epoch}.${losses} Network: inputs ${labels}; ${net}; output ${L.task === "classification"
      ? "P(class 1)" : "the predicted value"}. Data: ${this.model.get("dataset")}.${drawn}${this.diverged ? " Training diverged." : ""}`;
  }

  updateSummary(now) {
    if (!this.layout) return;
    const time = performance.now();
    if (!now && this.model.get("playing") && time - this.lastSummary < SUMMARY_EVERY_MS) return;
    this.lastSummary = time;
    const text = this.summaryText();
    if (this.summary.textContent !== text) this.summary.textContent = text;
    this.plane.setAttribute("aria-label", `${text} The output over the plane: arrows move a cursor, Enter or Space adds a point of the chosen class there.`);
    const n = this.trainLosses.length;
    this.lossCanvas.setAttribute("aria-label", `loss against epochs, training and test.${n ? ` Latest: training ${
      fmt(this.trainLosses[n - 1])}, test ${fmt(this.testLosses[n - 1])}.` : ""}`);
  }

  // ---------------------------------------------------------------- hover, focus, edit
  showLarge(what) {
    this.shown = what;
    const index = what && what.kind === "neuron" ? what.index : -1;
    if (this.model.get("focus_node") !== index) this.set({ focus_node: index });
    this.schedule();
  }

  weightOf(item) { return this.weights ? this.weights[item.w] : NaN; }

  describeLink(item, event, refresh = false) {
    const text = `weight ${fmt(this.weightOf(item))}, ${item.name}. ${refresh ? "" : "Click or press Enter to change it."}`;
    this.tooltipFor = item;
    item.hit.setAttribute("aria-label", `link from ${item.name}, weight ${fmt(this.weightOf(item))}; Enter to change it`);
    this.tooltip.textContent = refresh ? this.tooltip.textContent.replace(/^weight [^,]+/, `weight ${fmt(this.weightOf(item))}`) : text;
    if (refresh) return;
    const box = this.netScroll.getBoundingClientRect(), section = this.tooltip.parentElement.getBoundingClientRect();
    const x = event ? event.clientX - section.left : item.mx - this.netScroll.scrollLeft + box.left - section.left;
    const y = event ? event.clientY - section.top : item.my + box.top - section.top;
    this.tooltip.style.left = `${Math.max(0, x + 12)}px`;
    this.tooltip.style.top = `${Math.max(0, y + 12)}px`;
    this.tooltip.hidden = false;
  }

  describeNode(item) {
    const L = this.layout;
    let bias = "";
    if (this.weights) {
      let offset = this.linkCount;
      for (let l = 1; l < item.layer; l++) offset += L.sizes[l];
      bias = `, bias ${fmt(this.weights[offset + item.row])}`;
    }
    item.node.setAttribute("aria-label", `${item.label}${bias}; shown large on the output while focused`);
  }

  hideTooltip() {
    this.tooltip.hidden = true;
    this.tooltipFor = null;
  }

  openEditor(item, event) {
    this.editing = [item.layer, item.i, item.j];
    this.editingItem = item;
    this.weightLabel.textContent = `weight, ${item.name} `;
    this.weightInput.setAttribute("aria-label", `new weight for the link from ${item.name}`);
    this.weightInput.value = fmt(this.weightOf(item)).replace("−", "-");
    const box = this.netScroll.getBoundingClientRect(), section = this.editor.parentElement.getBoundingClientRect();
    const x = event && event.clientX ? event.clientX - section.left : item.mx - this.netScroll.scrollLeft + box.left - section.left;
    const y = event && event.clientY ? event.clientY - section.top : item.my + box.top - section.top;
    this.editor.style.left = `${Math.max(0, Math.min(x - 40, section.width - 260))}px`;
    this.editor.style.top = `${Math.max(0, y + 10)}px`;
    this.editor.hidden = false;
    this.hideTooltip();
    this.weightInput.focus();
    this.weightInput.select();
  }

  closeEditor(refocus) {
    if (this.editor.hidden) return;
    this.editor.hidden = true;
    const item = this.editingItem;
    this.editing = null;
    this.editingItem = null;
    if (refocus && item && item.hit.isConnected) this.focusRoving(this.linkItems, item);
  }

  focusRoving(items, item) {
    for (const other of items) (other.hit || other.node).setAttribute("tabindex", "-1");
    const target = item.hit || item.node;
    target.setAttribute("tabindex", "0");
    target.focus();
  }

  linkKey(e, item) {
    const items = this.linkItems;
    const layer = items.filter(x => x.layer === item.layer);
    const at = layer.indexOf(item);
    let next = null;
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); this.openEditor(item, null); return; }
    if (e.key === "ArrowDown") next = layer[Math.min(layer.length - 1, at + 1)];
    else if (e.key === "ArrowUp") next = layer[Math.max(0, at - 1)];
    else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      const other = items.filter(x => x.layer === item.layer + (e.key === "ArrowRight" ? 1 : -1));
      if (other.length) next = other[Math.min(other.length - 1, Math.round(at / Math.max(1, layer.length - 1) * (other.length - 1)))];
    } else if (e.key === "Home") next = items[0];
    else if (e.key === "End") next = items[items.length - 1];
    if (next) { e.preventDefault(); this.focusRoving(items, next); }
  }

  nodeKey(e, item) {
    const columns = this.neuronNodes, all = columns.flat();
    const column = columns[item.layer - 1];
    let next = null;
    if (e.key === "ArrowDown") next = column[Math.min(column.length - 1, item.row + 1)];
    else if (e.key === "ArrowUp") next = column[Math.max(0, item.row - 1)];
    else if (e.key === "ArrowRight" && item.layer < columns.length) next = columns[item.layer][Math.min(columns[item.layer].length - 1, item.row)];
    else if (e.key === "ArrowLeft" && item.layer > 1) next = columns[item.layer - 2][Math.min(columns[item.layer - 2].length - 1, item.row)];
    if (next && next !== item) { e.preventDefault(); this.focusRoving(all, next); }
  }

  // ---------------------------------------------------------------- the plane
  planePoint(event) {
    const rect = this.plane.getBoundingClientRect(), m = PLANE_MARGIN, side = this.planeSide;
    const u = (event.clientX - rect.left - m.left) / side, v = (event.clientY - rect.top - m.top) / side;
    if (u < 0 || u > 1 || v < 0 || v > 1) return null;
    const [x0, x1, y0, y1] = this.layout.extent;
    return [x0 + u * (x1 - x0), y1 - v * (y1 - y0)];
  }

  valueAt(x, y) {
    const L = this.layout, G = L.grid, [x0, x1, y0, y1] = L.extent;
    const c = Math.min(G - 1, Math.max(0, Math.floor((x - x0) / (x1 - x0) * G)));
    const r = Math.min(G - 1, Math.max(0, Math.floor((y1 - y) / (y1 - y0) * G)));
    return this.output ? this.output[r * G + c] : NaN;
  }

  describeAt(x, y) {
    const value = this.valueAt(x, y);
    const what = this.layout.task === "classification" ? "P(class 1)" : "predicted value";
    return `x₁ ${fmt(x, 2)}, x₂ ${fmt(y, 2)}: ${what} ${fmt(value, 2)}`;
  }

  hoverPlane(event) {
    const p = this.layout && this.planePoint(event);
    this.readout.textContent = p ? this.describeAt(p[0], p[1]) : " ";
  }

  describeCursor() {
    if (!this.cursor || !this.layout) return;
    this.readout.textContent = this.describeAt(this.cursor[0], this.cursor[1]);
  }

  planeKey(e) {
    if (!this.layout) return;
    const [x0, x1, y0, y1] = this.layout.extent;
    const step = (e.shiftKey ? 0.2 : 0.05) * (x1 - x0);
    const c = this.cursor || [(x0 + x1) / 2, (y0 + y1) / 2];
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[e.key]) {
      e.preventDefault();
      this.cursor = [Math.min(x1, Math.max(x0, c[0] + moves[e.key][0])), Math.min(y1, Math.max(y0, c[1] + moves[e.key][1]))];
      this.describeCursor();
      this.marksDirty = true;
      this.schedule();
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      this.addPoint(c[0], c[1]);
    }
  }

  addPoint(x, y) {
    const points = this.model.get("points");
    if (points.length >= this.options.max_points) return;
    const round = (v) => Math.round(v * 1000) / 1000;
    this.set({ points: [...points, [round(x), round(y), this.model.get("point_class")]] });
  }
}

export default {
  render({ model, el }) {
    el.classList.add("jupyter-widgets");          // the mark of a widget's view, as ipywidgets' own carry
    const view = new PlaygroundView(model, el);
    return () => view.destroy();
  },
};
