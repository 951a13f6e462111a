// What the dependencies bring to a real deployment. The Pulumi Node.js language host asks for a resource plugin for
// every installed package whose package.json says `"pulumi": {"resource": true}`, and `pulumi install`/`up` downloads
// each one; a runtime dependency nothing imports still costs that download (and its own dependencies).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

import { ROOT } from "./harness";

interface Lock { packages: Record<string, { dev?: boolean; optional?: boolean }> }

const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as Lock;
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };

/** Non-test TypeScript sources of the program, handlers, providers, policy and tools. */
function sources(dir = ROOT): string[] {
    const out: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (["node_modules", "test", "bin", ".git", ".serialized", ".tools"].includes(entry.name)) continue;
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) out.push(...sources(p));
        else if (entry.name.endsWith(".ts")) out.push(p);
    }
    return out;
}

describe("dependencies", () => {
    it("the only Pulumi resource plugin the locked install brings is aws (no awsx, docker or docker-build)", () => {
        const plugins: string[] = [];
        for (const [where, meta] of Object.entries(lock.packages)) {
            if (!where.startsWith("node_modules/") || meta.dev) continue;
            const manifest = path.join(ROOT, where, "package.json");
            if (!fs.existsSync(manifest)) continue; // an optional package for another platform
            const p = JSON.parse(fs.readFileSync(manifest, "utf8")) as { name: string; pulumi?: { resource?: boolean; name?: string } };
            if (p.pulumi?.resource) plugins.push(p.pulumi.name ?? p.name);
        }
        assert.deepEqual(plugins.sort(), ["aws"]);
        assert.equal(pkg.dependencies["@pulumi/awsx"], undefined);
    });

    it("every runtime dependency is imported by the program's own code", () => {
        const text = sources().map((f) => fs.readFileSync(f, "utf8")).join("\n");
        const unused = Object.keys(pkg.dependencies).filter((name) =>
            !new RegExp(`(from |require\\(|import\\()"${name.replace(/[/.]/g, "\\$&")}(/[^"]*)?"`).test(text));
        assert.deepEqual(unused, []);
    });
});
