// Reads a stack file (Pulumi.<stack>.yaml) through the program's own config module, so the scripts use the
// same interval, dimension values and compression as the deployed stack (one source of truth).
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

import { AppConfig, checkConfigKeys, parseConfig, PROJECT, RawConfig } from "../../config";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The typed config of stack `stack` as its stack file sets it; throws naming the file or the bad key. */
export function loadStackConfig(stack: string, root = REPO_ROOT): AppConfig {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`--stack ${stack}: ${file} does not exist`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined;
    checkConfigKeys(Object.keys(doc?.config ?? {}));
    const raw: RawConfig = {};
    let region: string | undefined;
    for (const [key, value] of Object.entries(doc?.config ?? {})) {
        if (key === "aws:region") region = String(value);
        else if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = value;
    }
    return parseConfig(raw, { project: PROJECT, stack, region: region ?? process.env.AWS_REGION });
}
