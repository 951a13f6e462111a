// ts-node as the tests load TypeScript: `ts-node/register/transpile-only` (what the Pulumi CLI does for a
// TypeScript program), with its output kept on disk so that the processes of one `npm test` — the two mocha workers
// and the scripts and program runs the tests start as child processes — transpile each file once instead of once
// each. Transpiling is most of the cost of starting a process here (all 36,000 lines: about 5 CPU-s).
//
// The cache holds exactly the string ts-node returned (the JavaScript with its inline source map), keyed by the
// file's path and contents, the compiler options ts-node resolved, and the TypeScript and ts-node versions, so a
// hit gives the code ts-node would have produced; an edit, an option or a version change is a miss. Stack traces
// keep their TypeScript lines: cached files are handed to source-map-support as well.
//
// Where: node_modules/.cache/ts-node-output (gone with `npm ci`). TEST_TS_CACHE=0 turns it off.
//   node -r ./test/tsnode.js some.ts        .mocharc.json: "require": ["./test/tsnode.js"]
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

require("ts-node/register/transpile-only");

const service = process[Symbol.for("ts-node.register.instance")];

/** Entries not read for a week go (a read refreshes an entry's time): the cache keeps to what the tree still has. */
function pruneOld(dir) {
    const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
    let names = [];
    try {
        names = fs.readdirSync(dir);
    } catch {
        return;
    }
    for (const name of names) {
        const file = path.join(dir, name);
        try {
            if (fs.statSync(file).mtimeMs < weekAgo) fs.rmSync(file, { force: true });
        } catch {
            // gone already (another process pruned it)
        }
    }
}
if (service && process.env.TEST_TS_CACHE !== "0") {
    const dir = path.join(__dirname, "..", "node_modules", ".cache", "ts-node-output");
    // Everything ts-node's output depends on besides the file: the compiler it loaded (TS_NODE_COMPILER included), its
    // own version and options (transpiler, moduleTypes, compilerOptions overrides, ...) and the tsconfig it resolved.
    const salt = JSON.stringify([
        service.ts.version,
        require("ts-node/package.json").version,
        service.options,
        service.config.options,
    ], (k, v) => (typeof v === "function" ? String(v) : v));
    pruneOld(dir);
    /** The cached output of the files this process read from the cache, for source-map-support. */
    const served = new Map();
    require("@cspotcode/source-map-support").install({
        environment: "node",
        retrieveFile: (p) => served.get(p) ?? null,
    });
    const compile = service.compile.bind(service);
    service.compile = (code, fileName, lineOffset) => {
        if (lineOffset) return compile(code, fileName, lineOffset);
        const key = crypto.createHash("sha256").update(salt).update("\0").update(fileName).update("\0").update(code).digest("hex");
        const file = path.join(dir, `${key}.js`);
        let output;
        try {
            output = fs.readFileSync(file, "utf8");
        } catch {
            output = compile(code, fileName);
            try {
                fs.mkdirSync(dir, { recursive: true });
                // Written whole, then renamed: a process reading at the same moment sees the file complete or not at all.
                const tmp = `${file}.${process.pid}.tmp`;
                fs.writeFileSync(tmp, output);
                fs.renameSync(tmp, file);
            } catch {
                // A read-only or full disk: this process goes on without the cache.
            }
            return output;
        }
        try {
            const now = new Date();
            fs.utimesSync(file, now, now);
        } catch {
            // read-only: the entry simply ages
        }
        served.set(fileName, output);
        return output;
    };
}
