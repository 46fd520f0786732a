// The request side of the small HTTP control APIs through which a page commands a server's faults
// (the demo's, examples/demo/fault-server.js, and the wasm tests', tests/support/wasm-test-server.js):
// a request body read as a JSON object, and the error that answers 400 instead of 500.

/** A request that cannot be carried out as asked; the API answers 400 with its message. */
export class BadRequest extends Error {}

/**
 * The request's body as a JSON object (`{}` when empty).
 * @param {AsyncIterable<Buffer | string>} req
 * @returns {Promise<Record<string, unknown>>}
 */
export async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  if (body === '') return {};
  let value;
  try {
    value = JSON.parse(body);
  } catch {
    throw new BadRequest(`the body is not JSON: ${body}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequest('the body must be a JSON object');
  }
  return value;
}
