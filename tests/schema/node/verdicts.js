// A second validator from another ecosystem: ajv (JSON Schema 2020-12) under Node.js.
// Reads {"schemas": {name: schema}, "instances": [[name, raw JSON text], ...]} on stdin and
// writes one JSON array of booleans (valid or not), in order, on stdout.
"use strict";
const Ajv2020 = require("ajv/dist/2020");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const job = JSON.parse(input);
  const ajv = new Ajv2020({ allErrors: false });
  const validators = {};
  for (const [name, schema] of Object.entries(job.schemas)) {
    validators[name] = ajv.compile(schema);
  }
  const verdicts = job.instances.map(([name, text]) => validators[name](JSON.parse(text)));
  process.stdout.write(JSON.stringify(verdicts) + "\n");
});
