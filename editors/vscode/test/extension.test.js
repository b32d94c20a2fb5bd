// Headless test of extension.js: `vscode` and `vscode-languageclient/node` are replaced by
// recording stubs (VS Code itself cannot run here), then the server command the extension
// builds is really started and must answer `initialize` over stdio.
//
//   PAFIX_COMMAND='["/path/to/.venv/bin/pafix"]' node --test editors/vscode/test/
"use strict";

const assert = require("node:assert");
const { spawn } = require("node:child_process");
const Module = require("node:module");
const path = require("node:path");
const test = require("node:test");

const command = JSON.parse(process.env.PAFIX_COMMAND || '["pafix"]');
const userSettings = { command, fixOnSave: true, fixOnSaveTimeoutMs: 300 };
const created = [];

const vscodeStub = {
  workspace: {
    getConfiguration(section) {
      assert.strictEqual(section, "pafix");
      return { get: (key, fallback) => (key in userSettings ? userSettings[key] : fallback) };
    },
    createFileSystemWatcher: (glob) => ({ glob }),
    onDidChangeConfiguration: (listener) => ({ listener, dispose() {} }),
  },
  window: { showInformationMessage() {} },
};

class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    Object.assign(this, { id, name, serverOptions, clientOptions, started: false, stopped: false });
    created.push(this);
  }
  async start() { this.started = true; }
  async stop() { this.stopped = true; }
}

const originalLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request === "vscode") return vscodeStub;
  if (request === "vscode-languageclient/node") return { LanguageClient, TransportKind: { stdio: 0 } };
  return originalLoad.call(this, request, parent, isMain);
};
const extension = require(path.join(__dirname, "..", "extension.js"));

function frame(message) {
  const body = Buffer.from(JSON.stringify(message), "utf8");
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]);
}

// A glob of a document selector as VS Code reads these ones: `**/` any folders, `*` one name.
function globMatches(glob, file) {
  const source = glob.split(/(\*\*\/|\*)/).map((part) => (
    part === "**/" ? "(?:.*/)?" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")
  )).join("");
  return new RegExp(`^(?:.*/)?${source}$`).test(file.split(path.sep).join("/"));
}

function selected(file) {
  return created[0].clientOptions.documentSelector.some((s) => s.pattern && s.scheme === "file" && globMatches(s.pattern, file));
}

// Starts the server, sends `messages` after `initialize` and resolves with the first message
// from the server that `wanted` accepts.
function converse(serverOptions, messages, wanted) {
  return new Promise((resolve, reject) => {
    const child = spawn(serverOptions.command, serverOptions.args, { stdio: ["pipe", "pipe", "inherit"] });
    let buffer = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => { child.kill(); reject(new Error("no answer in 20 s")); }, 20000);
    child.on("error", (err) => { clearTimeout(timer); reject(err); });
    child.stdout.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0 || done) return;
        const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString("ascii"))[1]);
        if (buffer.length < end + 4 + length) return;
        const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString("utf8"));
        buffer = buffer.subarray(end + 4 + length);
        if (message.id === 1) messages.forEach((m) => child.stdin.write(frame(m)));
        if (!wanted(message)) continue;
        done = true;
        clearTimeout(timer);
        child.stdin.write(frame({ jsonrpc: "2.0", id: 2, method: "shutdown" }));
        child.stdin.end(frame({ jsonrpc: "2.0", method: "exit" }));
        resolve(message);
      }
    });
    child.stdin.write(frame({
      jsonrpc: "2.0", id: 1, method: "initialize",
      params: { processId: null, rootUri: null, capabilities: {}, initializationOptions: { pafix: {} } },
    }));
  });
}

function initialize(serverOptions) {
  return converse(serverOptions, [], (message) => message.id === 1);
}

test("activate starts one client for Robin documents with the user's settings", async () => {
  const subscriptions = [];
  await extension.activate({ subscriptions });
  assert.strictEqual(created.length, 1);
  const client = created[0];
  assert.ok(client.started);
  assert.deepStrictEqual(client.serverOptions.args, [...command.slice(1), "lsp"]);
  assert.strictEqual(client.serverOptions.command, command[0]);
  const selector = client.clientOptions.documentSelector;
  assert.deepStrictEqual(selector.filter((s) => s.language).map((s) => s.language), ["robin", "robin"]);
  assert.deepStrictEqual(selector.filter((s) => s.pattern).map((s) => [s.scheme, s.pattern]),
    extension.SOLUTION_XML.map((p) => ["file", p]));
  assert.deepStrictEqual(client.clientOptions.initializationOptions,
    { pafix: { fixOnSave: true, fixOnSaveTimeoutMs: 300, debounceMs: 150 } });
  assert.strictEqual(client.clientOptions.synchronize.configurationSection, "pafix");
  assert.strictEqual(client.clientOptions.synchronize.fileEvents.glob, "**/{pafix.toml,pyproject.toml}");
  assert.strictEqual(subscriptions.length, 1);
  await extension.deactivate();
  assert.ok(client.stopped);
});

test("the server command the extension builds answers initialize", async () => {
  const reply = await initialize(created[0].serverOptions);
  assert.strictEqual(reply.id, 1);
  const caps = reply.result.capabilities;
  assert.ok(caps.codeActionProvider, "quick fixes");
  assert.ok(caps.documentFormattingProvider, "formatting");
  assert.ok(caps.hoverProvider, "hover");
  assert.strictEqual(reply.result.serverInfo.name, "pafix");
});

const ROLE = path.join(__dirname, "..", "..", "..", "fixtures", "rules", "PAF401", "pos_global_read_workflow", "Roles", "Apollo Admin.xml");

test("the selector takes a solution's role, table and customizations files, not every XML file", () => {
  assert.ok(selected(ROLE));
  assert.ok(selected("/w/sol/Entities/workqueueitem/Entity.xml"));
  assert.ok(selected("/w/sol/Other/Customizations.xml"));
  assert.ok(selected("/w/sol/customizations.xml"));
  assert.ok(!selected("/w/app/pom.xml"));
  assert.ok(!selected("/w/sol/Roles/sub/Other.xml"));
  assert.ok(!selected("/w/sol/Entities/workqueueitem/FormXml/main.xml"));
  assert.ok(!selected("/w/sol/Workflows/Flow-1.json.data.xml"));
});

test("the server reports PAF401 in a role file the selector sends it", async () => {
  const uri = require("node:url").pathToFileURL(ROLE).href;
  const text = require("node:fs").readFileSync(ROLE, "utf8");
  const message = await converse(created[0].serverOptions, [
    { jsonrpc: "2.0", method: "initialized", params: {} },
    { jsonrpc: "2.0", method: "textDocument/didOpen", params: { textDocument: { uri, languageId: "xml", version: 1, text } } },
  ], (m) => m.method === "textDocument/publishDiagnostics" && m.params.uri === uri);
  const diagnostics = message.params.diagnostics;
  assert.deepStrictEqual(diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]), [["PAF401", 1117, 4]]);
});
