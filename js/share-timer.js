// @ts-check
/**
 * The share group's timer (js/share-link.js): one deadline at a time, kept by a dedicated worker.
 *
 * Browsers throttle the timers of a hidden tab's page to about one a second (Chromium, after five
 * minutes hidden, to one a minute), but not those of its workers, and a worker's message is handled
 * at once. The holder's beat must keep to a quarter of the takeover bound whether or not its tab is
 * in front: on the page's own timers, a hidden holder whose timer slipped past its lease would hand
 * over, and the group would reconnect for nothing. A frozen page freezes its workers too, which is
 * what the group's lease is for. Where a worker cannot start (a Content-Security-Policy without
 * `worker-src blob:`), the page's own `setTimeout` serves, throttled.
 */

/** The worker: the deadline it is given (ms from now; negative cancels) and a message when it passes. */
const SOURCE = 'let t;onmessage=(e)=>{clearTimeout(t);if(e.data>=0)t=setTimeout(()=>postMessage(0),e.data)}';

export class ShareTimer {
  /** @type {Worker | null} */
  #worker = null;
  #url = '';
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #fallback;
  /** When the armed deadline passes (`performance.now()`), or NaN. */
  #due = NaN;
  /** @type {() => void} */
  #fire;

  /** @param {() => void} fire called when the deadline passes */
  constructor(fire) {
    this.#fire = () => {
      this.#due = NaN;
      fire();
    };
    try {
      this.#url = URL.createObjectURL(new Blob([SOURCE], { type: 'text/javascript' }));
      const worker = new Worker(this.#url);
      worker.onmessage = this.#fire;
      // A worker refused after its creation (CSP) reports an error: the page's timer takes over,
      // the armed deadline with it.
      worker.onerror = () => {
        this.#stopWorker();
        if (!Number.isNaN(this.#due)) this.arm(this.#due - performance.now());
      };
      this.#worker = worker;
    } catch {
      this.#stopWorker();
    }
  }

  /** @param {number} delay ms from now */
  arm(delay) {
    this.cancel();
    this.#due = performance.now() + delay;
    if (this.#worker) this.#worker.postMessage(Math.max(0, delay));
    else this.#fallback = setTimeout(this.#fire, Math.max(0, delay));
  }

  cancel() {
    this.#due = NaN;
    clearTimeout(this.#fallback);
    this.#worker?.postMessage(-1);
  }

  dispose() {
    this.cancel();
    this.#stopWorker();
  }

  #stopWorker() {
    this.#worker?.terminate();
    this.#worker = null;
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = '';
  }
}
