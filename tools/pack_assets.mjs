// Names the browser bundle's files after their content and writes each precompressed beside it
// (called by ./x after wasm-bindgen):
//   node tools/pack_assets.mjs <pkg dir>
// dialtone.js, dialtone.wasm and dialtone.css become dialtone.<hash>.<ext> with .br (brotli, best)
// and .gz (gzip, best) copies; pkg/assets.txt lists the names for the server (src/server/assets.rs).
import { createHash } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const dir = process.argv[2];
if (!dir) throw new Error("usage: pack_assets.mjs <pkg dir>");
const lines = [];
for (const [kind, text] of [["js", true], ["wasm", false], ["css", true]]) {
  const plain = join(dir, `dialtone.${kind}`);
  const data = readFileSync(plain);
  const hash = createHash("sha256").update(data).digest("hex").slice(0, 16);
  const name = `dialtone.${hash}.${kind}`;
  renameSync(plain, join(dir, name));
  writeFileSync(join(dir, `${name}.br`), brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: text ? constants.BROTLI_MODE_TEXT : constants.BROTLI_MODE_GENERIC,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  }));
  writeFileSync(join(dir, `${name}.gz`), gzipSync(data, { level: 9 }));
  lines.push(`${kind} ${name}`);
}
for (const f of readdirSync(dir)) if (f.endsWith(".d.ts")) rmSync(join(dir, f));
writeFileSync(join(dir, "assets.txt"), lines.join("\n") + "\n");
console.log(lines.join(", "));
