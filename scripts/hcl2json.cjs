// hcl2json: HashiCorp's HCL parser (hcl/v2 compiled to WebAssembly, npm @cdktf/hcl2json) as a
// command. `scripts/install-tools` copies this file to $INFRAC_TOOLS/bin/ next to a wrapper
// `hcl2json` (exported as INFRAC_HCL2JSON) that runs it with the node it found.
//
// usage: hcl2json FILE...        (`-` reads standard input)
//
// stdout: one JSON object mapping each FILE that parses to its content as JSON
//         (hcl2json's shape: blocks become nested objects, expressions "${...}" strings).
// stderr: for each FILE that does not parse, `ERROR FILE` and then HashiCorp's diagnostics,
//         one per line (`FILE:LINE,COL-LINE,COL: Summary; Detail`). Files must be UTF-8.
// exit:   0 every file parsed, 1 some did not, 2 usage or setup problem.
"use strict";
const fs = require("fs");
const path = require("path");

const modulePath =
  process.env.INFRAC_HCL2JSON_MODULE ||
  path.join(__dirname, "..", "node", "node_modules", "@cdktf", "hcl2json");
let parse;
try {
  ({ parse } = require(modulePath));
} catch (error) {
  console.error(`hcl2json: cannot load @cdktf/hcl2json from ${modulePath}: ${error.message}`);
  console.error("hcl2json: run scripts/install-tools");
  process.exit(2);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// hcl2json reports "parse config: [DIAG DIAG ...]" on one line; give one diagnostic a line.
function diagnostics(file, message) {
  const inner = String(message)
    .replace(/^parse config: \[/, "")
    .replace(/\]$/, "");
  // A diagnostic starts with its range and a colon: `FILE:3,7-4,1: ` or `FILE:2,1-2: `.
  return inner.split(new RegExp(`\\s(?=${escapeRegExp(file)}:\\d+,\\d+-\\d+(?:,\\d+)?: )`));
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: hcl2json FILE...   (`-` reads standard input)");
    process.exit(2);
  }
  const parsed = {};
  let failed = 0;
  for (const file of files) {
    const name = file === "-" ? "<stdin>" : file;
    let text;
    try {
      const bytes = fs.readFileSync(file === "-" ? 0 : file);
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (error) {
      failed++;
      console.error(`ERROR ${name}\n    ${error.code === "ERR_ENCODING_INVALID_ENCODED_DATA" ? "not valid UTF-8" : error.message}`);
      continue;
    }
    try {
      parsed[name] = await parse(name, text);
    } catch (error) {
      failed++;
      const lines = diagnostics(name, error && error.message ? error.message : error);
      console.error(`ERROR ${name}\n${lines.map((line) => `    ${line}`).join("\n")}`);
    }
  }
  process.stdout.write(`${JSON.stringify(parsed)}\n`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  console.error("hcl2json: internal error:", error);
  process.exit(2);
});
