// Shortens the import names of the built wasm module, and rewrites the wasm-bindgen glue to match.
//
// wasm-bindgen names every import after its binding plus a 16-digit hash
// (`__wbg_addEventListener_847fd86b8c33ec43`), all from the module `./resilient_websocket_bg.js`:
// gzip cannot compress the hashes, and the names are about a twentieth of the gzipped module. This
// renames the module to `a` and each import to a short identifier, in the module's import section
// and in the glue, where each import is a key of the imports object. Exports keep their names:
// `init()` hands the exports to its caller. Anything unexpected (an import that is not a function,
// a name that is not a key exactly once in the glue) fails the build, so a change in wasm-bindgen's
// output cannot produce a module and a glue that disagree.
//
// Usage: node scripts/shorten-wasm-imports.js <module.wasm> <glue.js>
import { readFileSync, writeFileSync } from 'node:fs';

const [wasmPath, gluePath] = process.argv.slice(2);
if (!gluePath) {
  console.error('usage: shorten-wasm-imports.js <module.wasm> <glue.js>');
  process.exit(2);
}

/** @param {string} message @returns {never} */
const fail = (message) => {
  console.error(`shorten-wasm-imports: ${message}`);
  process.exit(1);
};

/** `a`…`z`, `A`…`Z`, `_`, `$`, then two characters, skipping anything that is not a plain identifier. */
function* shortNames() {
  const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
  const next = `${first}0123456789`;
  const candidates = function* () {
    yield* first;
    for (const a of first) for (const b of next) yield a + b;
  };
  for (const name of candidates()) {
    try {
      new Function(`"use strict"; let ${name};`);
      yield name;
    } catch {
      // A reserved word such as `do` or `if`.
    }
  }
}

// The binary format: LEB128 integers and length-prefixed UTF-8 names.
const bytes = readFileSync(wasmPath);
let at = 8;
const readU32 = () => {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[at++];
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return value >>> 0;
};
/** @param {number} value */
const u32 = (value) => {
  const out = [];
  do {
    const low = value & 0x7f;
    value >>>= 7;
    out.push(value ? low | 0x80 : low);
  } while (value);
  return out;
};
const readName = () => {
  const length = readU32();
  at += length;
  return bytes.toString('utf8', at - length, at);
};
/** @param {string} name */
const name = (name) => [...u32(Buffer.byteLength(name)), ...Buffer.from(name)];

const module = 'a';
/** @type {Map<string, string>} the glue's name of each import, and the new one */
const renamed = new Map();
const names = shortNames();
const sections = [bytes.subarray(0, 8)];
while (at < bytes.length) {
  const start = at;
  const id = bytes[at++];
  const end = readU32() + at;
  if (id !== 2) {
    sections.push(bytes.subarray(start, end));
    at = end;
    continue;
  }
  const count = readU32();
  const body = u32(count);
  let from;
  for (let i = 0; i < count; i++) {
    const importModule = readName();
    const field = readName();
    if (from !== undefined && importModule !== from) fail(`imports from both ${from} and ${importModule}`);
    from = importModule;
    if (bytes[at++] !== 0) fail(`the import ${field} is not a function`);
    const typeIndex = at;
    readU32();
    if (renamed.has(field)) fail(`${field} is imported twice`);
    const short = names.next().value ?? fail('out of short names');
    renamed.set(field, short);
    body.push(...name(module), ...name(short), 0, ...bytes.subarray(typeIndex, at));
  }
  if (at !== end) fail('the import section holds more than its imports');
  sections.push(Buffer.from([id, ...u32(body.length), ...body]));
  renamed.set(JSON.stringify(from), JSON.stringify(module));
}
if (renamed.size === 0) fail('the module has no imports');

// In the glue, each import is a key (`        name: function(...`) of the object of imports, and
// their module a key of the object that holds it.
/** @type {Map<string, number>} */
const seen = new Map();
const glue = readFileSync(gluePath, 'utf8').replace(/^( +)("[^"\n]*"|[\w$]+)(?=: )/gm, (key, indent, old) => {
  const short = renamed.get(old);
  if (short === undefined) return key;
  seen.set(old, (seen.get(old) ?? 0) + 1);
  return indent + short;
});
for (const old of renamed.keys()) {
  if (seen.get(old) !== 1) fail(`${old} is a key ${seen.get(old) ?? 0} times in ${gluePath}; expected once`);
}

const shortened = Buffer.concat(sections);
new WebAssembly.Module(shortened); // Fails here, before anything is written, if the rewrite broke it.
writeFileSync(wasmPath, shortened);
writeFileSync(gluePath, glue);
console.log(`shorten-wasm-imports: ${renamed.size - 1} imports renamed`);
