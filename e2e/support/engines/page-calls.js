// How the Firefox and WebKit adapters call a function in the page, as Playwright's
// `page.evaluate(fn, arg)` does: the function's source and its argument cross to the page, the
// result comes back, and so does what the page's recorder (recorder.js) collected meanwhile.
// Values cross as JSON with markers for what JSON cannot carry (`undefined`, `NaN`, `±Infinity`,
// `-0`), so that results compare as Playwright's do; BiDi's own serialization turns an object seen
// twice in one result into null, and WebDriver classic's is plain JSON.

/**
 * Runs in the page: `fn(arg)` from the function's source, awaited; answers with the encoded result
 * or the error, and the recorded entries. Self-contained: it is sent as source.
 * @param {string} source
 * @param {string} argJson
 */
export async function runInPage(source, argJson) {
  const MARKERS = { undefined: undefined, NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };
  const encode = (value) =>
    JSON.stringify(value, function (key, v) {
      const raw = this[key];
      if (raw === undefined) return { $rws: 'undefined' };
      if (typeof raw === 'number' && !Number.isFinite(raw)) return { $rws: String(raw) };
      if (Object.is(raw, -0)) return { $rws: '-0' };
      return v;
    });
  // Markers replaced in place, keys kept (a reviver returning undefined would delete the key).
  const revive = (v) => {
    if (v === null || typeof v !== 'object') return v;
    if (typeof v.$rws === 'string') return MARKERS[v.$rws];
    for (const key of Object.keys(v)) v[key] = revive(v[key]);
    return v;
  };
  const decode = (json) => revive(JSON.parse(json));
  const drain = () => (window.__rwsRecorded ? window.__rwsRecorded.splice(0) : []);
  try {
    const value = await (0, eval)(`(${source})`)(decode(argJson));
    return { ok: encode(value), recorded: drain() };
  } catch (error) {
    return { error: error?.stack ? `${error.message}\n${error.stack}` : String(error), recorded: drain() };
  }
}

/** The argument as `runInPage` decodes it (the same markers). @param {unknown} value */
export function encodeArgument(value) {
  return JSON.stringify(value, function (key, v) {
    const raw = this[key];
    if (raw === undefined) return { $rws: 'undefined' };
    if (typeof raw === 'number' && !Number.isFinite(raw)) return { $rws: String(raw) };
    if (Object.is(raw, -0)) return { $rws: '-0' };
    return v;
  });
}

const MARKERS = { undefined, NaN, Infinity, '-Infinity': -Infinity, '-0': -0 };

/** @param {unknown} v */
function revive(v) {
  if (v === null || typeof v !== 'object') return v;
  const marker = /** @type {{ $rws?: unknown }} */ (v).$rws;
  if (typeof marker === 'string') return MARKERS[/** @type {keyof MARKERS} */ (marker)];
  const record = /** @type {Record<string, unknown>} */ (v);
  for (const key of Object.keys(record)) record[key] = revive(record[key]);
  return v;
}

/** A result of `runInPage`, as the page's value (the same markers). @param {string} json */
export function decodeResult(json) {
  return revive(JSON.parse(json));
}

/**
 * The source to send for `fn`: a function, or an expression string as Playwright accepts it.
 * @param {Function | string} fn
 */
export function sourceOf(fn) {
  return typeof fn === 'function' ? fn.toString() : `() => (${fn})`;
}
