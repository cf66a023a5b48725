/**
 * What the standalone bench entry points (rooms.ts, scale.ts, scale-data.ts) do with their
 * parsed options: print the usage for --help, refuse a bad value with the usage and exit 2.
 */
export interface CommandLine {
  fail(message: string): never;
  /** A number above 0 (not necessarily whole). */
  positive(name: string, text: string): number;
  /** A whole number, 0 or more. */
  whole(name: string, text: string): number;
}

/** Prints `usage` and exits 0 when `help` is set; otherwise the checks, each failing with `usage`. */
export function commandLine(usage: string, help: boolean): CommandLine {
  if (help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n\n${usage}`);
    process.exit(2);
  };
  return {
    fail,
    positive(name, text) {
      const value = Number(text);
      if (!Number.isFinite(value) || value <= 0) fail(`--${name} must be a positive number`);
      return value;
    },
    whole(name, text) {
      const value = Number(text);
      if (!Number.isInteger(value) || value < 0) fail(`--${name} must be a whole number`);
      return value;
    },
  };
}
