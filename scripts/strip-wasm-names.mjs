// Drops the `name` custom section (function names, ~460 KB) from a wasm file
// in place. worker-build always keeps it (it passes --debuginfo to wasm-opt);
// only stack traces use it, and the deployed bundle should not carry it.
// Usage: node scripts/strip-wasm-names.mjs build/index_bg.wasm
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2];
const wasm = readFileSync(file);
if (wasm.readUInt32LE(0) !== 0x6d736100) throw new Error(`${file}: not wasm`);

function leb(at) {
  let value = 0, shift = 0, byte;
  do {
    byte = wasm[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

const kept = [wasm.subarray(0, 8)];
let at = 8, dropped = 0;
while (at < wasm.length) {
  const start = at;
  const id = wasm[at];
  const [size, body] = leb(at + 1);
  const end = body + size;
  let name = "";
  if (id === 0) {
    const [len, s] = leb(body);
    name = wasm.toString("utf8", s, s + len);
  }
  if (name === "name") dropped += end - start;
  else kept.push(wasm.subarray(start, end));
  at = end;
}
writeFileSync(file, Buffer.concat(kept));
console.log(`${file}: dropped ${dropped} bytes of names`);
