// Rewrites the wasm-bindgen glue to the names that binaryen gave the module's imports and exports.
//
// wasm-bindgen names every import after its binding plus a 16-digit hash
// (`__wbg_addEventListener_847fd86b8c33ec43`), all from the module `./resilient_websocket_bg.js`, and
// exports long names too (`wasm_bindgen__convert__closures_____invoke__h…`): gzip cannot compress the
// hashes. scripts/build.sh has wasm-opt's --minify-imports-and-exports-and-modules rename them all
// (imports to `a`, `b`, …, from the one module `a`; exports to two-letter names) and print the
// mapping, which this applies to the glue: each import is a key of the glue's object of imports and
// their module a key of the object that holds it; each export is read as `wasm.name`.
//
// What binaryen cannot do is the glue's side, so that is all this does. Measured with binaryen 132
// and wasm-bindgen 0.2.130, gzipped: 24,700 bytes of .wasm and 34,973 of the default entry, against
// 24,955 and 35,376 with the import rewriter this replaced (scripts/shorten-wasm-imports.js, which
// parsed the module itself and left the exports long). Anything unexpected (a name that is not a key exactly once in the glue, an export
// the glue reads that the mapping lacks, a glue whose imports or exports the module does not have)
// fails the build, so a change in wasm-bindgen's or binaryen's output cannot ship a module and a glue
// that disagree.
//
// Usage: node scripts/minify-glue.js <module.wasm> <mapping.json> <glue.js>
import { readFileSync, writeFileSync } from 'node:fs';

const [wasmPath, mappingPath, gluePath] = process.argv.slice(2);
if (!gluePath) {
  console.error('usage: minify-glue.js <module.wasm> <mapping.json> <glue.js>');
  process.exit(2);
}

/** @param {string} message @returns {never} */
const fail = (message) => {
  console.error(`minify-glue: ${message}`);
  process.exit(1);
};

// The pass prints {"imports": [[module, name, new name], …], "exports": [[name, new name], …]}, and
// puts every import in the module `a`.
const MODULE = 'a';
/** @type {{ imports: [string, string, string][], exports: [string, string][] }} */
const mapping = JSON.parse(readFileSync(mappingPath, 'utf8'));
/** @type {Map<string, string>} each key of the glue that names an import or a module, and its new name */
const keys = new Map();
for (const [module, name, short] of mapping.imports) {
  if (keys.has(name)) fail(`${name} is imported twice`);
  keys.set(name, short);
  keys.set(JSON.stringify(module), MODULE);
}
const exports = new Map(mapping.exports);
if (mapping.imports.length === 0 || exports.size === 0) fail(`${mappingPath} maps no imports or no exports`);

/** @type {Map<string, number>} */
const seen = new Map();
const glue = readFileSync(gluePath, 'utf8')
  .replace(/^( +)("[^"\n]*"|[\w$]+)(?=: )/gm, (key, indent, old) => {
    const short = keys.get(old);
    if (short === undefined) return key;
    seen.set(old, (seen.get(old) ?? 0) + 1);
    return indent + short;
  })
  .replace(/\bwasm\.([\w$]+)/g, (_, name) => `wasm.${exports.get(name) ?? fail(`the glue reads wasm.${name}, which ${mappingPath} does not map`)}`);
for (const old of keys.keys()) {
  if (seen.get(old) !== 1) fail(`${old} is a key ${seen.get(old) ?? 0} times in ${gluePath}; expected once`);
}

// The module as the engine sees it must import exactly the glue's new keys and export what it reads.
const module = new WebAssembly.Module(readFileSync(wasmPath));
const imported = WebAssembly.Module.imports(module);
const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
const provided = new Set(mapping.imports.map(([, , short]) => short));
if (imported.some((i) => i.module !== MODULE || !provided.has(i.name)) || imported.length !== provided.size) {
  fail(`${wasmPath}'s imports are not the ${provided.size} that the mapping gives the glue`);
}
for (const [name, short] of exports) {
  if (!exported.has(short)) fail(`${wasmPath} does not export ${short} (${name})`);
}

writeFileSync(gluePath, glue);
console.log(`minify-glue: ${provided.size} imports and ${exports.size} exports renamed in ${gluePath}`);
