// Strict ISO-8601 instants for the command-line flags (--start, --end, --anomaly at=...). `Date.parse` accepts
// impossible calendar dates and rolls them forward (2025-02-30T00:00Z becomes March 2nd, 2025-04-31 becomes May
// 1st), and it reads a value without a zone as local time; both would silently move generated traffic or history
// to another day. This parser takes `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z` or `±HH:MM`, checks every
// field against the calendar (month lengths, leap years), and returns epoch milliseconds.

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

export const INSTANT_EXAMPLE = "2024-05-15T10:00:00Z";

export function daysInMonth(year: number, month: number): number {
    if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
    return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Epoch milliseconds of `text`, or an explanation of what is wrong with it (naming the field). The error says
 * "is not a date" for 2025-02-30 rather than quietly giving March 2nd.
 */
export function parseInstant(text: string): { ms: number } | { error: string } {
    const m = INSTANT.exec(text);
    if (!m) return { error: `is not an ISO-8601 instant with a time zone, such as ${INSTANT_EXAMPLE} or 2024-05-15T12:00:00+02:00` };
    const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
    const second = m[6] === undefined ? 0 : Number(m[6]);
    const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
    if (month < 1 || month > 12) return { error: `has month ${m[2]}; months run from 01 to 12` };
    const dim = daysInMonth(year, month);
    if (day < 1 || day > dim) return { error: `is not a date: ${m[1]}-${m[2]} has ${dim} days (day ${m[3]})` };
    if (hour > 23) return { error: `has hour ${m[4]}; hours run from 00 to 23` };
    if (minute > 59) return { error: `has minute ${m[5]}; minutes run from 00 to 59` };
    if (second > 59) return { error: `has second ${m[6]}; seconds run from 00 to 59` };
    let offsetMinutes = 0;
    if (m[8] !== "Z") {
        const [oh, om] = [Number(m[8].slice(1, 3)), Number(m[8].slice(4, 6))];
        if (oh > 23 || om > 59) return { error: `has the zone offset ${m[8]}, which is not a valid offset` };
        offsetMinutes = (m[8][0] === "-" ? -1 : 1) * (oh * 60 + om);
    }
    // setUTCFullYear, unlike Date.UTC, does not map years 0000-0099 to 1900-1999.
    const d = new Date(0);
    d.setUTCFullYear(year, month - 1, day);
    d.setUTCHours(hour, minute, second, fraction);
    return { ms: d.getTime() - offsetMinutes * 60_000 };
}
