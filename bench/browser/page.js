// The page side of the browser benchmark: `window.bench`, driven by bench/browser/run.js with
// page.evaluate(). A page loads exactly one contender's module, so that no other contender's
// code (or wasm) shares its heap or its JIT.

/** Every wait in the page is bounded, so that a contender that never answers fails the run. */
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function nextEvent(target, type) {
  return new Promise((resolve) => target.addEventListener(type, resolve, { once: true }));
}

/**
 * The send loop checks `bufferedAmount` every CHECK_BYTES and, above HIGH_WATER, sleeps a
 * millisecond at a time (4 ms once timers nest) until it is below again: a timer rather than a
 * busy loop, so that the main thread's CPU time measures the sends, not the waiting. The socket
 * drains far less than HIGH_WATER in 4 ms, so it never runs dry meanwhile.
 */
const CHECK_BYTES = 256 * 1024;
const HIGH_WATER = 4 * 1024 * 1024;
const pause = () => new Promise((resolve) => setTimeout(resolve, 1));

const bench = {
  /** @type {((url: string, options?: object) => any) | null} */
  create: null,
  /** The instances this page opened, in order, and their open/close events (`Date.now()`). */
  instances: [],
  /** `Date.now()` of every `online` event, recorded before any contender hears it. */
  onlineAt: [],

  /** Imports the contender's module; `spec` comes from bench/contenders.js. */
  async load(spec) {
    if (!spec.module) {
      bench.create = (url) => new WebSocket(url);
      return;
    }
    const module = await import(spec.module);
    const Class = module[spec.export];
    bench.create = (url, options) => new Class(url, [], options);
  },

  /**
   * Opens an instance (its index in `instances` is returned) and waits for its first `open`.
   * With `track`, its open and close events are recorded; the memory rounds turn it off, as the
   * record itself would grow the heap they measure.
   */
  async open(url, options, { track = true } = {}) {
    const ws = bench.create(url, options);
    ws.binaryType = 'arraybuffer';
    const entry = { ws, opens: [], closes: [] };
    if (track) {
      ws.addEventListener('open', () => entry.opens.push(Date.now()));
      ws.addEventListener('close', () => entry.closes.push(Date.now()));
    }
    bench.instances.push(entry);
    await within(nextEvent(ws, 'open'), 10_000, `open ${url}`);
    return bench.instances.length - 1;
  },

  /** The open and close times of every instance. */
  timeline() {
    return bench.instances.map(({ opens, closes }) => ({ opens, closes }));
  },

  /**
   * Receive throughput: asks the server for `count` messages and times them from the request
   * to the last one's `message` event. Every payload is touched (its length summed) and checked.
   */
  async receive(index, { count, binary, bytes }) {
    const { ws } = bench.instances[index];
    let received = 0;
    let total = 0;
    let listener;
    const done = new Promise((resolve) => {
      listener = (event) => {
        const { data } = event;
        total += typeof data === 'string' ? data.length : data.byteLength;
        received += 1;
        if (received === count) resolve(performance.now());
      };
      ws.addEventListener('message', listener);
    });
    const started = performance.now();
    ws.send(`#blast ${count} ${binary ? 'binary' : 'text'} ${bytes}`);
    const finished = await within(done, 120_000, `receive ${count} messages`);
    ws.removeEventListener('message', listener);
    if (total !== count * bytes) throw new Error(`received ${total} bytes, expected ${count * bytes}`);
    return finished - started;
  },

  /**
   * Send throughput: `count` messages as fast as the socket takes them (waiting, every
   * CHECK_BYTES, while more than HIGH_WATER bytes are buffered), timed from the first `send()`
   * to the server's confirmation that it received them all.
   */
  async send(index, { count, binary, bytes }) {
    const { ws } = bench.instances[index];
    const payload = binary ? new Uint8Array(bytes).fill(0xcd).buffer : 'y'.repeat(bytes);
    const checkEvery = Math.max(1, Math.floor(CHECK_BYTES / bytes));
    const confirmed = new Promise((resolve) => {
      const listener = (event) => {
        if (typeof event.data !== 'string' || !event.data.startsWith('#done')) return;
        ws.removeEventListener('message', listener);
        resolve(performance.now());
      };
      ws.addEventListener('message', listener);
    });
    ws.send(`#expect ${count}`);
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      ws.send(payload);
      if (i % checkEvery === checkEvery - 1) {
        while (ws.bufferedAmount > HIGH_WATER) await pause();
      }
    }
    const finished = await within(confirmed, 120_000, `server confirmation of ${count} messages`);
    return finished - started;
  },

  /** Waits until the instance has seen `n` close events in all. */
  async closed(index, n) {
    const entry = bench.instances[index];
    const deadline = performance.now() + 10_000;
    while (entry.closes.length < n) {
      if (performance.now() > deadline) throw new Error(`no close event ${n} within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  },

  /**
   * Sends `count` text messages of `bytes` bytes, each starting with its sequence number (the
   * server checks the order); returns how many `send()` accepted without throwing.
   */
  sendSequence(index, count, bytes) {
    const { ws } = bench.instances[index];
    let accepted = 0;
    for (let seq = 0; seq < count; seq++) {
      try {
        ws.send(String(seq).padEnd(bytes, '.'));
        accepted += 1;
      } catch {
        // Counted as not accepted: the caller reports it.
      }
    }
    return accepted;
  },

  reconnect(index) {
    bench.instances[index].ws.reconnect();
  },

  close(index) {
    bench.instances[index].ws.close();
  },

  /**
   * `cycles` reconnect cycles on instance `index`: `reconnect()` (a native socket: close() and a
   * new WebSocket in its place), then wait for `open`.
   */
  async cycle(index, cycles, url) {
    const entry = bench.instances[index];
    for (let i = 0; i < cycles; i++) {
      let opened;
      if (typeof entry.ws.reconnect === 'function') {
        opened = nextEvent(entry.ws, 'open');
        entry.ws.reconnect();
      } else {
        entry.ws.close();
        entry.ws = bench.create(url);
        opened = nextEvent(entry.ws, 'open');
      }
      await within(opened, 10_000, `open in cycle ${i + 1}`);
    }
  },

  /** The wasm memory of our module, if this page loaded it. */
  async wasmBytes() {
    const glue = '/pkg/resilient_websocket.js';
    if (!bench.wasmMemory) {
      if (!performance.getEntriesByType('resource').some((entry) => entry.name.endsWith(glue))) return null;
      // The module is initialised already (js/index.js awaited it); init() returns its exports.
      const { default: init } = await import(glue);
      // By type: scripts/build.sh minifies the export names.
      bench.wasmMemory = Object.values(await init()).find((e) => e instanceof WebAssembly.Memory);
    }
    return bench.wasmMemory.buffer.byteLength;
  },
};

addEventListener('online', () => bench.onlineAt.push(Date.now()));
window.bench = bench;
