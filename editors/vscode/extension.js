// The infrac extension: starts infrac-lsp over stdio for .infra files and restarts it on demand.
"use strict";

const fs = require("fs");
const path = require("path");
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverPath() {
  const configured = vscode.workspace.getConfiguration("infrac").get("server.path");
  return configured && configured.trim() !== "" ? configured : "infrac-lsp";
}

// The executable that `command` names: a path, or a name looked up on PATH (with PATHEXT on
// Windows); null when there is none.
function findExecutable(command) {
  const runnable = (file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch (_) {
      return false;
    }
  };
  if (command.includes("/") || command.includes("\\")) {
    return runnable(command) ? command : null;
  }
  const extensions = process.platform === "win32" ? (process.env.PATHEXT || ".EXE").split(";") : [""];
  for (const dir of (process.env.PATH || "").split(path.delimiter)) {
    for (const extension of extensions) {
      const candidate = path.join(dir, command + extension);
      if (dir !== "" && runnable(candidate)) {
        return candidate;
      }
    }
  }
  return null;
}

// One message for a server that cannot start, with the way out.
async function reportMissing(text) {
  const choice = await vscode.window.showErrorMessage(text, "Open Settings");
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "infrac.server.path");
  }
}

async function start(context) {
  const command = serverPath();
  if (findExecutable(command) === null) {
    client = undefined;
    void reportMissing(
      `infrac: the language server \`${command}\` was not found` +
        (command.includes("/") ? "." : " on PATH.") +
        " Install it with `cargo install --path lsp` (from an infrac checkout), or set `infrac.server.path`.",
    );
    return;
  }
  const executable = { command, transport: TransportKind.stdio };
  client = new LanguageClient(
    "infrac",
    "infrac",
    { run: executable, debug: executable },
    {
      documentSelector: [{ scheme: "file", language: "infra" }],
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.infra"),
      },
    },
  );
  try {
    await client.start();
  } catch (error) {
    const reason = error && error.message ? error.message : String(error);
    client = undefined;
    void reportMissing(
      `infrac: the language server \`${command}\` did not start: ${reason}. ` +
        "Check `infrac.server.path`, then run \"infrac: Restart the language server\".",
    );
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("infrac.restartServer", async () => {
      if (client) {
        await client.stop();
      }
      await start(context);
    }),
  );
  await start(context);
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };
