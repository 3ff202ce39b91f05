// The infrac extension: starts infrac-lsp over stdio for .infra files and restarts it on demand.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverPath() {
  const configured = vscode.workspace.getConfiguration("infrac").get("server.path");
  return configured && configured.trim() !== "" ? configured : "infrac-lsp";
}

async function start(context) {
  const command = serverPath();
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
    vscode.window.showErrorMessage(
      `infrac: cannot start the language server \`${command}\` (${error.message}). ` +
        "Install it with `cargo install --path lsp` or set `infrac.server.path`.",
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
