// The finding Lambda's log: one JSON line per event (CloudWatch Logs Insights reads the fields).
export type Logger = (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;

export const consoleLogger: Logger = (level, message, fields) => {
    console[level](JSON.stringify({ message, ...(fields ?? {}) }));
};
