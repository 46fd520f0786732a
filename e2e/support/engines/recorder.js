// The page's own record of what Playwright reports as `pageerror` and `console` errors, for the
// engines whose drivers report less: WebDriver classic (WebKit) has no such events at all, and
// Firefox's BiDi log misses errors handed to `reportError()`, which is how the class reports an
// exception thrown by user code. The recorder listens for uncaught exceptions and unhandled
// rejections (reportError included) and wraps console.error; the adapters drain it after every call
// into the page and hand each entry to the page's listeners with Playwright's shapes. Messages the
// browser itself logs (a failed WebSocket handshake) are not the page's and are not recorded.

/** Runs in the page, before its scripts where the driver can (Firefox), else after each load. */
export function installRecorder() {
  if (window.__rwsRecorded) return;
  const recorded = [];
  window.__rwsRecorded = recorded;
  window.addEventListener('error', (event) => {
    const error = event.error;
    recorded.push({ kind: 'pageerror', message: error?.message ?? event.message, stack: error?.stack ?? '' });
  });
  window.addEventListener('unhandledrejection', (event) => {
    const error = event.reason;
    recorded.push({ kind: 'pageerror', message: error?.message ?? String(error), stack: error?.stack ?? '' });
  });
  const consoleError = console.error.bind(console);
  console.error = (...args) => {
    recorded.push({ kind: 'console', type: 'error', text: args.map(String).join(' ') });
    consoleError(...args);
  };
}

/** Runs in the page: what was recorded since the last drain. */
export function drainRecorded() {
  return window.__rwsRecorded ? window.__rwsRecorded.splice(0) : [];
}

/**
 * Hands recorded entries to `pageerror` listeners (as an Error whose stack starts with the message,
 * as V8's does) and `console` listeners (as a message with `type()` and `text()`).
 * @param {Map<string, Set<(...args: any[]) => void>>} listeners
 * @param {{ kind: string, message?: string, stack?: string, type?: string, text?: string }[]} recorded
 */
export function deliverRecorded(listeners, recorded) {
  for (const entry of recorded) {
    if (entry.kind === 'pageerror') {
      const error = new Error(entry.message);
      error.stack = entry.stack ? `${entry.message}\n${entry.stack}` : entry.message;
      for (const listener of listeners.get('pageerror') ?? []) listener(error);
    } else {
      const message = { type: () => entry.type, text: () => entry.text };
      for (const listener of listeners.get('console') ?? []) listener(message);
    }
  }
}
