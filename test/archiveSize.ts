// Measures the code archive a mocked `aws:lambda/function:Function` would upload: the sum of the assets in its
// `code` input (the serialized closure as a StringAsset, plus any files or folders computeCodePaths added),
// raw and deflated (what a zip stores). Reusable by any test that runs a program or component under mocks.
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

import { Registered } from "./mocks";

/** The limit every inline Lambda of this project keeps to, except those named in ARCHIVE_LIMIT_EXCEPTIONS. */
export const MAX_ARCHIVE_BYTES = 64 * 1024;

/**
 * Functions allowed a larger archive, by a fragment of their resource name, each with its reason. The limit's job
 * is to catch bundled dependencies (a CallbackFunction that bundles node_modules weighs tens of MB), not to cap the
 * project's own code.
 */
export const ARCHIVE_LIMIT_EXCEPTIONS: Record<string, { bytes: number; reason: string }> = {
    "alerts-finding": {
        bytes: 169 * 1024,
        reason: "the finding Lambda carries the alert path's stages as code (parse, enrich with the WAF-log and ecommerce "
            + "root-cause modules, map to ASFF, episode checks, deliver to Security Hub and to people): 129,403 B raw when "
            + "measured with the enrich stage and root-cause notices (the serializer's per-function wrappers are about a quarter of it); "
            + "157,367 B raw / 36,115 B deflated with the DevOps Guru insight stage (handlers/alert/devopsGuru.ts, issue 14), "
            + "which replaced a separate 40 KB insight Lambda; 158,961 B raw / 36,442 B deflated with the chat notices; "
            + "163,389 B raw / 37,754 B deflated with the ecommerce breakdown read at each series' own alarm period and band "
            + "(by-dimension alarms broken down too), GetMetricData aborted at the deadline and the notice's contributors grouped "
            + "by dimension — over the 160 KiB budget's headroom, so 168 KiB (Lambda's own limit is 50 MB zipped); "
            + "172,405 B raw with the order-value children's e^x - 1 (171,842 B after removing duplicated helpers) and the check that "
            + "an alarm's StateReason does not predate its configuration (handlers/alert/parse.ts reasonPredatesConfig), so 169 KiB; "
            + "172,600 B raw with the later-transition check and the order-value listing's deadline reason (room made by one notice link and SNS-client check)",
    },
};

/** The archive limit of the function whose resource name is `name`. */
export function archiveLimitFor(name: string): number {
    const hit = Object.entries(ARCHIVE_LIMIT_EXCEPTIONS).find(([fragment]) => name.includes(fragment));
    return hit ? hit[1].bytes : MAX_ARCHIVE_BYTES;
}

export interface ArchiveSize {
    /** Bytes of all files, uncompressed: an upper bound of the zip's size, and what tests compare with the limit. */
    raw: number;
    /** Bytes after raw DEFLATE of each file: close to the zip Lambda receives. */
    deflated: number;
    files: number;
    /** Archive path → raw bytes, largest first, for reports. */
    entries: [string, number][];
}

function isArchive(a: any): boolean {
    return a && typeof a === "object" && "assets" in a;
}

/** The size of an asset or archive as CallbackFunction builds them (StringAsset, FileAsset, FileArchive, AssetArchive). */
export async function assetSize(asset: any, name = "."): Promise<ArchiveSize> {
    const out: ArchiveSize = { raw: 0, deflated: 0, files: 0, entries: [] };
    const add = (entry: string, buf: Buffer) => {
        out.raw += buf.length;
        out.deflated += zlib.deflateRawSync(buf).length;
        out.files += 1;
        out.entries.push([entry, buf.length]);
    };
    const walk = (entry: string, p: string) => {
        const st = fs.statSync(p);
        if (st.isDirectory()) for (const f of fs.readdirSync(p)) walk(path.posix.join(entry, f), path.join(p, f));
        else add(entry, fs.readFileSync(p));
    };
    if (isArchive(asset)) {
        const assets = (await asset.assets) as Record<string, any>;
        for (const [key, inner] of Object.entries(assets)) {
            const sub = await assetSize(inner, name === "." ? key : path.posix.join(name, key));
            out.raw += sub.raw;
            out.deflated += sub.deflated;
            out.files += sub.files;
            out.entries.push(...sub.entries);
        }
    } else if (asset && asset.text !== undefined) {
        add(name, Buffer.from(await asset.text, "utf8"));
    } else if (asset && asset.path !== undefined) {
        walk(name, await asset.path);
    } else {
        throw new Error(`archiveSize: ${name} is neither an asset nor an archive (keys: ${Object.keys(asset ?? {}).join(", ")})`);
    }
    out.entries.sort((a, b) => b[1] - a[1]);
    return out;
}

/** The size of a mocked Lambda function's code archive. */
export async function lambdaArchiveSize(fn: Registered): Promise<ArchiveSize> {
    if (fn.type !== "aws:lambda/function:Function") throw new Error(`archiveSize: ${fn.name} is a ${fn.type}, not a Lambda function`);
    if (!fn.inputs.code) throw new Error(`archiveSize: ${fn.name} has no code input`);
    return assetSize(fn.inputs.code);
}
