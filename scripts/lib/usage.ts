// The usage-error line every script prints (exit 2). No imports: the scripts load it before anything heavy.

/**
 * The one line a script prints on stderr for a usage error (exit 2): `name: reason (see --help)`. A reason that
 * spans lines (a parser's message) is joined into one, so a CI log or `2>err.txt` shows the whole reason on the
 * first line; the usage itself is for --help (stdout, exit 0).
 */
export function usageErrorLine(script: string, reason: string): string {
    return `${script}: ${reason.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join(" ")} (see --help)\n`;
}
