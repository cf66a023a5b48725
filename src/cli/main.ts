#!/usr/bin/env node
// ESM loads every statically imported module before it runs any, which takes a second on a
// loaded machine: the SIGHUP handler (early-sighup.ts) is installed first and the program
// is loaded after it, so a reload asked for meanwhile is kept instead of ending the process.
import "./early-sighup.js";

await import("./commands.js");
