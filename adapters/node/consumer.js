#!/usr/bin/env node
// A JavaScript consumer of the NoETL event envelope, as a browser client reads one:
// JSON.parse, then JSON.stringify of what it holds. Runner protocol v1 with the roles
// extension: it declares the role `consumer` and the op `consume`, whose output is what it
// kept, in the envelope's canonical field names (a field it lacks is absent).
// Run: node adapters/node/consumer.js (no dependencies beyond Node.js itself).
"use strict";

const readline = require("node:readline");

const FIELDS = [
  "execution_id", "event_type", "step", "status", "created_at",
  "context", "event_id", "worker_id", "meta",
];
const ALIASES = { payload: "context" };

function send(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

function consume(text) {
  const value = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const error = new TypeError("expected an object, got " + (Array.isArray(value) ? "array" : typeof value));
    error.kind = "invalid_type";
    throw error;
  }
  const kept = {};
  for (const [key, member] of Object.entries(value)) {
    const name = ALIASES[key] || key;
    if (FIELDS.includes(name) && !(name in kept)) kept[name] = member;
  }
  const ordered = {};
  for (const name of FIELDS) if (name in kept) ordered[name] = kept[name];
  return JSON.stringify(ordered);
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) return;
  const request = JSON.parse(line);
  if (request.cmd === "start") {
    if (request.protocol !== 1) {
      send({ ready: false, protocol: 1 });
      process.exit(0);
    }
    send({
      ready: true,
      protocol: 1,
      implementation: { name: "json-parse", language: "javascript", version: process.versions.node },
      roles: ["consumer"],
      ops: ["consume"],
    });
  } else if (request.cmd === "run") {
    if (request.op !== "consume") {
      send({ seq: request.seq, skipped: true, reason: "only consume" });
      return;
    }
    try {
      send({ seq: request.seq, ok: true, output: consume(request.input) });
    } catch (error) {
      const kind = error.kind || (error instanceof SyntaxError ? "syntax" : "other");
      send({ seq: request.seq, ok: false, error: { kind, message: String(error.message) } });
    }
  } else if (request.cmd === "stop") {
    lines.close();
  }
});
lines.on("close", () => process.exit(0));
