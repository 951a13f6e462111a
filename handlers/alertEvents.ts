// The alert payloads and their parser moved to the parse stage, handlers/alert/parse.ts; this module keeps the
// old import path working.
export * from "./alert/parse";
