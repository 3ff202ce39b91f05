// Parses every file named on the command line with HashiCorp's HCL parser (npm @cdktf/hcl2json,
// hcl/v2 compiled to WebAssembly). Prints one line per file that does not parse; exits 1 if any.
"use strict";
const fs = require("fs");
const modulePath = process.env.INFRAC_HCL2JSON_MODULE;
if (!modulePath) {
  console.error("hcl-parse: INFRAC_HCL2JSON_MODULE is not set; run scripts/install-tools");
  process.exit(2);
}
const { parse } = require(modulePath);

async function main() {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    try {
      await parse(file, fs.readFileSync(file, "utf8"));
    } catch (error) {
      failed++;
      console.log(`ERROR ${file}: ${String(error && error.message ? error.message : error).split("\n").join(" ")}`);
    }
  }
  console.log(`hcl-parse: ${process.argv.length - 2 - failed} parsed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error("hcl-parse: internal error:", error);
  process.exit(2);
});
