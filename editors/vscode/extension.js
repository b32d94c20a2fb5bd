// Minimal VS Code client for the pafix language server (`pafix lsp`). Not published.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

// Role, table and customizations files of an unpacked solution: the server reports the
// access and audit rules (PAF401-PAF405) in them. Only these paths, never every XML file.
const SOLUTION_XML = [
  "**/Roles/*.xml",
  "**/Entities/*/Entity.xml",
  "**/Other/Customizations.xml",
  "**/customizations.xml",
];

function settings() {
  const config = vscode.workspace.getConfiguration("pafix");
  return {
    fixOnSave: config.get("fixOnSave", false),
    fixOnSaveTimeoutMs: config.get("fixOnSaveTimeoutMs", 500),
    debounceMs: config.get("debounceMs", 150),
  };
}

async function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("pafix").get("command", ["pafix"]);
  const serverOptions = {
    command,
    // TransportKind.stdio adds `--stdio`, which `pafix lsp` accepts
    args: [...args, "lsp"],
    transport: TransportKind.stdio,
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "robin" },
      { scheme: "untitled", language: "robin" },
      ...SOLUTION_XML.map((pattern) => ({ scheme: "file", pattern })),
    ],
    initializationOptions: { pafix: settings() },
    synchronize: {
      // sends workspace/didChangeConfiguration with the `pafix` section
      configurationSection: "pafix",
      // configuration files: the server reloads [tool.pafix] / pafix.toml
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{pafix.toml,pyproject.toml}"),
    },
  };
  client = new LanguageClient("pafix", "pafix", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("pafix.command")) {
        vscode.window.showInformationMessage("pafix: reload the window to start the server with the new pafix.command.");
      }
    }),
  );
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate, SOLUTION_XML };
