// Renames the imports and exports in the wasm-bindgen glue to the short names wasm-opt gave them.
//
// wasm-bindgen names every import after its binding plus a 16-digit hash
// (`__wbg_addEventListener_847fd86b8c33ec43`), all from the module `./resilient_websocket_bg.js`:
// gzip cannot compress the hashes, and the names are about a twentieth of the gzipped module.
// scripts/build.sh has wasm-opt shorten them (`--minify-imports-and-exports-and-modules`), which
// prints the mapping; this applies it to the glue, where an import is a key of the imports object
// and an export is read as `wasm.<name>`, and to the module's typings. A name that is not found
// exactly where expected fails the build, so that a change in wasm-bindgen's glue cannot produce a
// module and glue that disagree.
//
// Usage: node scripts/shorten-wasm-names.js <mapping.json> <module.wasm> <glue.js> <module.wasm.d.ts>
import { readFileSync, writeFileSync } from 'node:fs';

const [mappingPath, wasmPath, gluePath, typesPath] = process.argv.slice(2);
if (!typesPath) {
  console.error('usage: shorten-wasm-names.js <mapping.json> <module.wasm> <glue.js> <module.wasm.d.ts>');
  process.exit(2);
}

/** @param {string} message */
const fail = (message) => {
  console.error(`shorten-wasm-names: ${message}`);
  process.exit(1);
};

/** @type {{ imports: [string, string, string][], exports: [string, string][] }} */
const mapping = JSON.parse(readFileSync(mappingPath, 'utf8'));
// The mapping names the old module of each import; the new one is read from the module.
const modules = (names) => [...new Set(names)];
const [module, ...otherModules] = modules(mapping.imports.map((i) => i[0]));
const [newModule, ...newOthers] = modules(
  WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmPath))).map((i) => i.module),
);
if (otherModules.length > 0 || newOthers.length > 0) fail('expected the imports to come from one JS module');

// The new names must be plain identifiers (no reserved words): they become object keys, member
// accesses and `export const` declarations.
for (const name of [newModule, ...mapping.imports.map((i) => i[2]), ...mapping.exports.map((e) => e[1])]) {
  try {
    new Function(`"use strict"; let ${name};`);
  } catch {
    fail(`wasm-opt chose ${JSON.stringify(name)}, which is not a plain identifier`);
  }
}

// Imports: keys of the imports object (`        name: function(...`), each exactly once, and the
// key naming their module.
const imports = new Map(mapping.imports.map(([, oldName, newName]) => [oldName, newName]));
imports.set(JSON.stringify(module), JSON.stringify(newModule));
/** @type {Map<string, number>} */
const seen = new Map();
let glue = readFileSync(gluePath, 'utf8').replace(/^( +)("[^"\n]*"|[\w$]+)(?=: )/gm, (key, indent, name) => {
  const newName = imports.get(name);
  if (newName === undefined) return key;
  seen.set(name, (seen.get(name) ?? 0) + 1);
  return indent + newName;
});
for (const name of imports.keys()) {
  if (seen.get(name) !== 1) fail(`the import ${name} occurs ${seen.get(name) ?? 0} times as a key in ${gluePath}`);
}

// Exports: read as `wasm.name`. Those the glue does not read (wasm-bindgen's runtime statics) do
// not occur.
const exports = new Map(mapping.exports);
glue = glue.replace(/\bwasm\.([\w$]+)/g, (access, name) => {
  const newName = exports.get(name);
  if (newName === undefined) fail(`the glue reads ${access}, which the module does not export`);
  return `wasm.${newName}`;
});

writeFileSync(gluePath, glue);

// The module's own typings declare its exports, one per line.
const types = readFileSync(typesPath, 'utf8').replace(
  /^export const ([\w$]+)(?=:)/gm,
  (declaration, name) => `export const ${exports.get(name) ?? fail(`the typings declare ${name}, which is not exported`)}`,
);
writeFileSync(typesPath, types);
console.log(`shorten-wasm-names: ${imports.size - 1} imports and ${exports.size} exports renamed`);
